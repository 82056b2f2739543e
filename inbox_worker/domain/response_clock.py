"""A ticket's two response-time clocks (first response, resolution) and the events that move them. Pure.

The targets come from rules/response.toml (or a staff override); the clocks turn them into due moments
on the working-time calendar. Each event function takes the clocks and a moment and returns the
`ClockChange` (the new clocks and a Danish sentence for the ticket's history), or None when the event
changes nothing (a second staff reply, a pause while already paused), so callers record only real changes.

Waiting for the customer pauses the resolution clock, never the first response: the working time spent
waiting is added to the resolution target when the customer answers. A ticket that was already late
when it was paused stays exactly as late.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.worktime import WorkCalendar

STAFF_OVERRIDE = "staff-override"  # the rule id of targets staff set by hand: later recomputes keep them


class ClockEvent(enum.StrEnum):
    STARTED = "started"  # a new ticket: both clocks start
    FIRST_RESPONSE = "first-response"  # staff answered (a reply or a phone call); the acknowledgement does not count
    PAUSED = "paused"  # waiting for the customer: the resolution clock stops
    RESUMED = "resumed"  # the customer answered: it runs again, later by the time spent waiting
    RECOMPUTED = "recomputed"  # new targets (a raised priority, a phone follow-up)
    OVERRIDDEN = "overridden"  # staff set the targets by hand, with a reason
    RESOLVED = "resolved"  # closed
    REOPENED = "reopened"  # a closed ticket came back: both clocks start again


class Target(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class ResponseTargets:
    """What is promised: working minutes to the first response and to the resolution, and the clock."""

    first_response_minutes: int
    resolution_minutes: int
    mode: ClockMode
    rule: str  # the rule of rules/response.toml that set them, or STAFF_OVERRIDE
    reason: str  # one Danish sentence: why these targets


@dataclass(frozen=True)
class ResponseClocks:
    targets: ResponseTargets
    started_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    first_response_at: datetime | None = None
    paused_at: datetime | None = None  # waiting for the customer since
    paused_minutes: int = 0  # working minutes spent waiting so far (added to the resolution target)
    resolved_at: datetime | None = None

    @property
    def next_due(self) -> tuple[Target, datetime] | None:
        """The nearest promise still open: the first response, else the resolution unless paused or resolved."""
        if self.first_response_at is None and self.resolved_at is None:
            return Target.FIRST_RESPONSE, self.first_response_due
        if self.resolved_at is None and self.paused_at is None:
            return Target.RESOLUTION, self.resolution_due
        return None

    def first_response_met(self) -> bool | None:
        """True/False once answered; None while it is still open."""
        return None if self.first_response_at is None else self.first_response_at <= self.first_response_due

    def resolution_met(self) -> bool | None:
        return None if self.resolved_at is None else self.resolved_at <= self.resolution_due


@dataclass(frozen=True)
class ClockChange:
    clocks: ResponseClocks
    event: ClockEvent
    rule: str
    reason: str  # Danish, for the ticket's clock history


def start(targets: ResponseTargets, at: datetime, calendar: WorkCalendar) -> ClockChange:
    clocks = _due(ResponseClocks(targets, at, at, at), calendar)
    return ClockChange(clocks, ClockEvent.STARTED, targets.rule, targets.reason)


def first_response(clocks: ResponseClocks, at: datetime, by: str) -> ClockChange | None:
    """Staff answered (`by`: how, e.g. "svar fra JH" or "telefonopkald"); only the first answer counts."""
    if clocks.first_response_at is not None:
        return None
    met = "inden for" if at <= clocks.first_response_due else "efter"
    return ClockChange(dataclasses.replace(clocks, first_response_at=at), ClockEvent.FIRST_RESPONSE,
                       "first-response", f"Første svar ({by}) {met} fristen")


def pause(clocks: ResponseClocks, at: datetime) -> ClockChange | None:
    if clocks.paused_at is not None or clocks.resolved_at is not None:
        return None
    return ClockChange(dataclasses.replace(clocks, paused_at=at), ClockEvent.PAUSED, "waiting-pauses",
                       "Afventer kunden: løsningsfristen står stille")


def resume(clocks: ResponseClocks, at: datetime, calendar: WorkCalendar) -> ClockChange | None:
    if clocks.paused_at is None:
        return None
    resumed, waited = _fold_waiting(clocks, at, calendar)
    return ClockChange(resumed, ClockEvent.RESUMED, "customer-reply-resumes",
                       f"Kunden har svaret: løsningsfristen kører igen, {_duration(waited)} senere")


def retarget(clocks: ResponseClocks, targets: ResponseTargets, calendar: WorkCalendar) -> ClockChange | None:
    """New targets from the rules (a raised priority, a phone follow-up), counted from the same start.
    Targets staff set by hand stay until staff change them again (`override`)."""
    if targets == clocks.targets or clocks.targets.rule == STAFF_OVERRIDE:
        return None
    changed = _due(dataclasses.replace(clocks, targets=targets), calendar)
    return ClockChange(changed, ClockEvent.RECOMPUTED, targets.rule, targets.reason)


def override(clocks: ResponseClocks, first_response_minutes: int, resolution_minutes: int, mode: ClockMode,
             reason: str, calendar: WorkCalendar) -> ClockChange:
    targets = ResponseTargets(first_response_minutes, resolution_minutes, mode, STAFF_OVERRIDE, reason)
    changed = _due(dataclasses.replace(clocks, targets=targets), calendar)
    return ClockChange(changed, ClockEvent.OVERRIDDEN, STAFF_OVERRIDE, f"Frister sat af en medarbejder: {reason}")


def resolve(clocks: ResponseClocks, at: datetime, calendar: WorkCalendar) -> ClockChange | None:
    """Closed: the resolution clock stops (closed while waiting: the waiting time is not counted)."""
    if clocks.resolved_at is not None:
        return None
    if clocks.paused_at is not None:
        clocks, _ = _fold_waiting(clocks, at, calendar)
    met = "inden for" if at <= clocks.resolution_due else "efter"
    return ClockChange(dataclasses.replace(clocks, resolved_at=at), ClockEvent.RESOLVED, "closed-resolves",
                       f"Sagen er lukket {met} løsningsfristen")


def reopen(clocks: ResponseClocks, targets: ResponseTargets, at: datetime, calendar: WorkCalendar) -> ClockChange:
    """A closed ticket came back: both clocks start again from the new mail (staff's own targets stay)."""
    kept = clocks.targets if clocks.targets.rule == STAFF_OVERRIDE else targets
    restarted = _due(ResponseClocks(kept, at, at, at), calendar)
    return ClockChange(restarted, ClockEvent.REOPENED, kept.rule, "Sagen er genåbnet: begge frister starter forfra")


def minutes_left(clocks: ResponseClocks, now: datetime, calendar: WorkCalendar) -> int | None:
    """Working minutes to the nearest open promise; negative when it is late; None when none is open."""
    pending = clocks.next_due
    if pending is None:
        return None
    due, mode = pending[1], clocks.targets.mode
    if now <= due:
        return calendar.minutes_between(now, due, mode)
    return -calendar.minutes_between(due, now, mode)


def _fold_waiting(clocks: ResponseClocks, at: datetime, calendar: WorkCalendar) -> tuple[ResponseClocks, int]:
    """The clocks running again at `at`, the working time waited since the pause added to the target."""
    assert clocks.paused_at is not None
    waited = 0
    if clocks.paused_at < clocks.resolution_due:  # time already late is not forgiven by waiting
        waited = calendar.minutes_between(clocks.paused_at, at, clocks.targets.mode)
    folded = dataclasses.replace(clocks, paused_at=None, paused_minutes=clocks.paused_minutes + waited)
    return _due(folded, calendar), waited


def _due(clocks: ResponseClocks, calendar: WorkCalendar) -> ResponseClocks:
    targets = clocks.targets
    return dataclasses.replace(
        clocks,
        first_response_due=calendar.due(clocks.started_at, targets.first_response_minutes, targets.mode),
        resolution_due=calendar.due(clocks.started_at, targets.resolution_minutes + clocks.paused_minutes,
                                    targets.mode))


def _duration(minutes: int) -> str:
    """'2 t 5 min', '45 min' (working time, as staff read it)."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} t {rest} min"
    return f"{hours} t" if hours else f"{rest} min"
