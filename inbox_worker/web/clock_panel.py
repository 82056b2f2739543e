"""The ticket page's clock block: both promises (target, due moment, met/late/paused, time left), the rule
that set them and their history as Danish sentences. Pure: the page passes the clocks, events and `now`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import STAFF_OVERRIDE, ClockEvent, ResponseClocks, Target
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.web.clock_text import MARKS, TARGETS, Urgency, left_text, moment_text, urgency, working_minutes
from inbox_worker.web.labels import duration

MODES = {ClockMode.OPENING_HOURS: "i åbningstiden", ClockMode.AROUND_THE_CLOCK: "døgnet rundt"}
# Events whose reason is the targets' own reason (not a sentence about the event) get a lead-in.
_LEAD_IN: dict[str, str] = {ClockEvent.STARTED.value: "Frister sat",
                             ClockEvent.RECOMPUTED.value: "Frister beregnet igen"}


class ClockEventRow(Protocol):
    """A row of response_events (store.response.history)."""

    event: str
    rule: str
    reason: str
    actor: str | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ClockLine:
    name: str  # "Første svar" | "Løsning"
    target: str  # "4 t i åbningstiden"
    due: str  # "tir. 1.12. kl. 14:00"
    state: str  # "Mødt" | "For sent" | "Åben" | "Overskredet" | "Pauset" | "Lukket uden svar"
    detail: str  # "svaret tir. 1.12. kl. 11:00", "om 35 min", "1 t 5 min for sent", …
    urgency: Urgency

    @property
    def mark(self) -> str:
        return MARKS.get(self.urgency, "")


@dataclass(frozen=True)
class HistoryLine:
    when: str
    actor: str
    text: str


@dataclass(frozen=True)
class ClockPanel:
    lines: tuple[ClockLine, ClockLine]
    rule: str
    reason: str
    overridden: bool
    history: list[HistoryLine]


class _Reader:
    """The ticket's clocks read at `now` on the calendar, in MICO's time zone."""

    def __init__(self, clocks: ResponseClocks, now: datetime, calendar: WorkCalendar, zone: ZoneInfo) -> None:
        self.clocks, self.now, self.calendar, self.zone = clocks, now, calendar, zone

    def moment(self, at: datetime) -> str:
        return moment_text(at, self.zone, self.now)

    def working(self, start: datetime, end: datetime) -> int:
        return working_minutes(self.calendar, start, end, self.clocks.targets.mode)

    def settled(self, name: str, target: str, due: datetime, at: datetime, verb: str) -> ClockLine:
        if at <= due:
            return ClockLine(name, target, self.moment(due), "Mødt", f"{verb} {self.moment(at)}", Urgency.ON_TIME)
        late = f"{verb} {self.moment(at)}, {left_text(self.working(due, at), True)}"
        return ClockLine(name, target, self.moment(due), "For sent", late, Urgency.LATE)

    def running(self, name: str, target: str, due: datetime) -> ClockLine:
        late = self.now > due
        left = self.working(due, self.now) if late else self.working(self.now, due)
        return ClockLine(name, target, self.moment(due), "Overskredet" if late else "Åben", left_text(left, late),
                         urgency(left, late))

    def first_response(self) -> ClockLine:
        clocks, name = self.clocks, TARGETS[Target.FIRST_RESPONSE]
        target = f"{duration(clocks.targets.first_response_minutes)} {MODES[clocks.targets.mode]}"
        if clocks.first_response_at is not None:
            return self.settled(name, target, clocks.first_response_due, clocks.first_response_at, "svaret")
        if clocks.resolved_at is not None:
            return ClockLine(name, target, self.moment(clocks.first_response_due), "Lukket uden svar",
                             f"lukket {self.moment(clocks.resolved_at)}", Urgency.NONE)
        return self.running(name, target, clocks.first_response_due)

    def resolution(self) -> ClockLine:
        clocks, name = self.clocks, TARGETS[Target.RESOLUTION]
        target = f"{duration(clocks.targets.resolution_minutes)} {MODES[clocks.targets.mode]}"
        if clocks.paused_minutes:
            target += f" + {duration(clocks.paused_minutes)} ventetid"
        if clocks.resolved_at is not None:
            return self.settled(name, target, clocks.resolution_due, clocks.resolved_at, "løst")
        if clocks.paused_at is not None:
            since = f"afventer kunde siden {self.moment(clocks.paused_at)}"
            if clocks.paused_at > clocks.resolution_due:  # late before the pause: it stays exactly as late
                since += f", {left_text(self.working(clocks.resolution_due, clocks.paused_at), True)}"
            return ClockLine(name, target, self.moment(clocks.resolution_due), "Pauset", since, Urgency.PAUSED)
        return self.running(name, target, clocks.resolution_due)


def history_line(row: ClockEventRow, zone: ZoneInfo, now: datetime) -> HistoryLine:
    """One event as a sentence: what happened, why, and the due moments it left."""
    lead = _LEAD_IN.get(row.event)
    reason = row.reason.rstrip(". ")
    text = f"{lead} efter reglen {row.rule}: {reason}" if lead else reason
    dues = [f"{name} senest {moment_text(at, zone, now)}" for name, at in
            (("første svar", row.first_response_due_at), ("løsning", row.resolution_due_at)) if at is not None]
    if dues:
        sentence = ", ".join(dues)
        text += ". " + sentence[0].upper() + sentence[1:]
    return HistoryLine(moment_text(row.created_at, zone, now), row.actor or "automatisk", text + ".")


def clock_panel(clocks: ResponseClocks | None, events: Iterable[ClockEventRow], now: datetime,
                calendar: WorkCalendar, zone: ZoneInfo) -> ClockPanel | None:
    """The block for a ticket with clocks; None for a ticket from before them."""
    if clocks is None:
        return None
    reader = _Reader(clocks, now, calendar, zone)
    return ClockPanel((reader.first_response(), reader.resolution()), clocks.targets.rule, clocks.targets.reason,
                      clocks.targets.rule == STAFF_OVERRIDE, [history_line(row, zone, now) for row in events])
