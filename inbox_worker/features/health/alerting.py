"""The alert state machine, pure: from the open states and what is found now, who gets which mail.

A condition first seen is opened (pending) with the time its problem began. Once it has lasted its
threshold, staff get one alert, and the state remembers that. While it stays, nothing more is sent,
however often this runs and whichever process runs it (the state is in the database). When it is no
longer found, an alerted condition gets one recovery notice and is closed; a pending one is closed
silently (it never reached staff).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from inbox_worker.domain.health import AlertState
from inbox_worker.features.health.rules import Finding


@dataclass(frozen=True)
class Plan:
    states: tuple[AlertState, ...] = ()  # open after this evaluation (to save), alerted ones included
    alerts: tuple[tuple[AlertState, Finding], ...] = ()  # to mail now: the condition began
    recoveries: tuple[AlertState, ...] = ()  # to mail now: an alerted condition cleared
    dropped: tuple[str, ...] = ()  # pending conditions that cleared before anyone was told
    opened: tuple[str, ...] = ()  # conditions seen for the first time now

    @property
    def mails(self) -> int:
        return len(self.alerts) + len(self.recoveries)


def _advance(state: AlertState | None, found: Finding, now: datetime) -> tuple[AlertState, bool]:
    """The condition's state after this evaluation, and whether its alert is due now."""
    condition = found.condition.value
    if state is None:
        state = AlertState(condition, now, found.since or now, facts=dict(found.facts))
    if state.alerted_at is not None:
        return state, False  # told already: never again while it lasts
    since = found.since or state.first_seen_at  # the data's "since" may move on: a new streak began
    state = dataclasses.replace(state, since=since, facts=dict(found.facts))
    if now - since >= found.threshold:
        return dataclasses.replace(state, alerted_at=now), True
    return state, False


def step(open_states: Mapping[str, AlertState], found: Iterable[Finding], now: datetime) -> Plan:
    """One evaluation at `now`."""
    present = {f.condition.value: f for f in found}
    states: list[AlertState] = []
    alerts: list[tuple[AlertState, Finding]] = []
    for condition, finding in present.items():
        state, due = _advance(open_states.get(condition), finding, now)
        states.append(state)
        if due:
            alerts.append((state, finding))
    gone = [state for condition, state in open_states.items() if condition not in present]
    return Plan(
        states=tuple(states), alerts=tuple(alerts),
        recoveries=tuple(state for state in gone if state.alerted_at is not None),
        dropped=tuple(state.condition for state in gone if state.alerted_at is None),
        opened=tuple(condition for condition in present if condition not in open_states))
