"""How the response-time clocks read for staff: time left or how late in working time, and how urgent. Pure.

The queue shows one cell per ticket (the nearest open promise); the ticket page a line per clock. Time
left is working time (`response_clock.minutes_left`), so "om 35 min" at 15:50 on a Friday is due Monday
09:25; the due moment itself is always there too (as the cell's title, in the line). Colour is never the
only signal: a late or nearly due promise also carries a symbol and words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain.response_clock import ResponseClocks, Target, minutes_left
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.mail.decide.response import danish_moment
from inbox_worker.web.labels import duration

SOON_MINUTES = 60  # "due within the hour": at most this many working minutes left
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


def urgency(left: int, late: bool) -> Urgency:
    if late:
        return Urgency.LATE
    return Urgency.SOON if left <= SOON_MINUTES else Urgency.ON_TIME


def left_text(minutes: int, late: bool) -> str:
    """'om 35 min', 'om 2 t 10 min', '1 t 5 min for sent'; 'for sent' when no working time has passed since."""
    if late:
        return f"{duration(minutes)} for sent" if minutes > 0 else "for sent"
    return f"om {duration(minutes)}" if minutes > 0 else "om under 1 min"


def due_cell(clocks: ResponseClocks | None, now: datetime, calendar: WorkCalendar, zone: ZoneInfo) -> DueCell:
    """The queue cell of a ticket's nearest open promise at `now`."""
    if clocks is None:
        return DueCell("–", Urgency.NONE, "Ingen frister: sagen er fra før svarfristerne")
    pending, left = clocks.next_due, minutes_left(clocks, now, calendar)
    if pending is None or left is None:
        if clocks.paused_at is not None and clocks.resolved_at is None:
            return DueCell("pauset", Urgency.PAUSED, "Afventer kunde: løsningsfristen står stille")
        return DueCell("–", Urgency.NONE, "Ingen åben frist")
    target, due = pending
    late = now > due  # by the moment: late on a Friday evening is late, though no working time has passed
    return DueCell(left_text(abs(left), late), urgency(left, late),
                   f"{TARGETS[target]} senest {danish_moment(due, zone)}",
                   "svar" if target == Target.FIRST_RESPONSE else "løsning")
