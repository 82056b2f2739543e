"""How the response-time clocks read for staff: time left or how late in working time, and how urgent. Pure.

The queue shows one cell per ticket (the nearest open promise); the ticket page a line per clock. Time
left is working time (as `response_clock.minutes_left` counts it), so "om 35 min" at 15:50 on a Friday is
due Monday 09:25; the due moment itself is always there too (as the cell's title, in the line). Colour is
never the only signal: a late or nearly due promise also carries a symbol and words.

Working time is counted day by day, so a ticket forgotten for a year would cost a year of days per row
(about 15 ms: the queue sorted by nearest due shows exactly those first). Beyond LONG_MINUTES the exact
figure says nothing more to staff, so it is counted only that far: "over 40 t for sent".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import ResponseClocks, Target
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.mail.decide.response import danish_moment
from inbox_worker.web.labels import duration

SOON_MINUTES = 60  # "due within the hour": at most this many working minutes left
LONG_MINUTES = 40 * 60  # counted exactly up to this; more reads "over 40 t"
TARGETS = {Target.FIRST_RESPONSE: "Første svar", Target.RESOLUTION: "Løsning"}


class Urgency(enum.StrEnum):
    """The CSS class suffix (`due-…`) of a promise's state."""

    ON_TIME = "ok"
    SOON = "soon"  # due within SOON_MINUTES working minutes
    LATE = "late"  # past due
    PAUSED = "paused"  # waiting for the customer: the resolution clock stands still
    NONE = "none"  # no open promise (answered and closed, or a ticket from before the clocks)


# Symbols found in common fonts (DejaVu too): a quarter-gone clock face, a warning sign, a pause bar.
MARKS = {Urgency.SOON: "◔", Urgency.LATE: "⚠", Urgency.PAUSED: "‖"}


@dataclass(frozen=True)
class DueCell:
    """What the queue's "Frist" column shows for one ticket."""

    text: str  # "om 2 t 10 min", "1 t 5 min for sent", "pauset", "–"
    urgency: Urgency
    title: str  # the due moment in words, or why there is none
    target: str = ""  # "svar" | "løsning": which promise the cell counts down to

    @property
    def mark(self) -> str:
        return MARKS.get(self.urgency, "")


def moment_text(at: datetime, zone: ZoneInfo, now: datetime) -> str:
    """'tir. 1.12. kl. 14:00', with the year when it is not this year's ('tir. 6.1. kl. 10:00 2025')."""
    text = danish_moment(at, zone)
    year = at.astimezone(zone).year
    return text if year == now.astimezone(zone).year else f"{text} {year}"


def urgency(left: int, late: bool) -> Urgency:
    if late:
        return Urgency.LATE
    return Urgency.SOON if left <= SOON_MINUTES else Urgency.ON_TIME


def working_minutes(calendar: WorkCalendar, start: datetime, end: datetime, mode: ClockMode) -> int:
    """Working minutes from `start` to `end` (0 if not after it); LONG_MINUTES + 1 for anything longer."""
    beyond = LONG_MINUTES + 1  # (within that much real time it cannot be longer in working time)
    if end - start > timedelta(minutes=beyond) and end > calendar.due(start, beyond, mode):
        return beyond
    return calendar.minutes_between(start, end, mode)


def left_text(minutes: int, late: bool) -> str:
    """'om 35 min', 'om 2 t 10 min', '1 t 5 min for sent', 'over 40 t for sent'; 'for sent' when no working
    time has passed since the due moment."""
    span = f"over {duration(LONG_MINUTES)}" if minutes > LONG_MINUTES else duration(minutes)
    if late:
        return f"{span} for sent" if minutes > 0 else "for sent"
    return f"om {span}" if minutes > 0 else "om under 1 min"


def due_cell(clocks: ResponseClocks | None, now: datetime, calendar: WorkCalendar, zone: ZoneInfo) -> DueCell:
    """The queue cell of a ticket's nearest open promise at `now`."""
    if clocks is None:
        return DueCell("–", Urgency.NONE, "Ingen frister: sagen er fra før svarfristerne")
    pending = clocks.next_due
    if pending is None:
        if clocks.paused_at is not None and clocks.resolved_at is None:
            return DueCell("pauset", Urgency.PAUSED, "Afventer kunde: løsningsfristen står stille")
        return DueCell("–", Urgency.NONE, "Ingen åben frist")
    target, due = pending
    late = now > due  # by the moment: late on a Friday evening is late, though no working time has passed
    left = working_minutes(calendar, due, now, clocks.targets.mode) if late else working_minutes(
        calendar, now, due, clocks.targets.mode)
    return DueCell(left_text(left, late), urgency(left, late),
                   f"{TARGETS[target]} senest {moment_text(due, zone, now)}",
                   "svar" if target == Target.FIRST_RESPONSE else "løsning")
