"""Which of a ticket's promises are due a warning now: within the warning time, or already missed. Pure.

Only an open ticket is warned about: one waiting for the customer ("afventer kunde") or closed gets
none. A promise is open while it can still be kept (domain/response_clock.py): the first response until
staff answer, the resolution until the ticket is closed and never while its clock stands still. A
promise found already missed that was never warned about (the worker was down, or the ticket came
back from waiting late) gets its one notice all the same, saying it is overdue: staff learn about a
broken promise once, late rather than never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox_worker.domain.enums import TicketStatus
from inbox_worker.domain.response_clock import ResponseClocks, Target
from inbox_worker.domain.worktime import WorkCalendar


@dataclass(frozen=True)
class DueWarning:
    target: Target
    due: datetime
    late: bool  # already missed
    minutes: int  # working minutes on the ticket's clock: left, or (late) since the due moment


def open_promises(clocks: ResponseClocks) -> list[tuple[Target, datetime]]:
    if clocks.resolved_at is not None:
        return []
    promises = []
    if clocks.first_response_at is None:
        promises.append((Target.FIRST_RESPONSE, clocks.first_response_due))
    if clocks.paused_at is None:
        promises.append((Target.RESOLUTION, clocks.resolution_due))
    return promises


def warnings_due(clocks: ResponseClocks, status: str, now: datetime, calendar: WorkCalendar,
                 before_minutes: int) -> list[DueWarning]:
    """The promises to warn about at `now`, first response first (the caller leaves out those warned before)."""
    if status != TicketStatus.OPEN:
        return []
    mode = clocks.targets.mode
    found = []
    for target, due in open_promises(clocks):
        if now > due:  # late: after closing time possibly by no working minute yet
            found.append(DueWarning(target, due, True, calendar.minutes_between(due, now, mode)))
        elif (left := calendar.minutes_between(now, due, mode)) <= before_minutes:
            found.append(DueWarning(target, due, False, left))
    return found
