"""Give a test's ticket response-time clocks the way the product writes them: domain events through store.response."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.response_clock import ClockChange, ResponseTargets
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.store import response
from inbox_worker.store.models import Ticket

MICO = WorkCalendar(OfficeHours())
NORMAL = ResponseTargets(240, 1260, ClockMode.OPENING_HOURS, "response-normal",
                         "Serviceaftale: svar inden for 4 arbejdstimer, løst inden for tre arbejdsdage")
HIGH = ResponseTargets(60, 420, ClockMode.OPENING_HOURS, "response-high", "Høj prioritet (serverpakken)")
EMERGENCY = ResponseTargets(30, 240, ClockMode.AROUND_THE_CLOCK, "response-emergency",
                            "Akut, kritisk fejl: fristerne løber døgnet rundt")


def start_clocks(session: Session, ticket: Ticket, targets: ResponseTargets, started: datetime, *,
                 answered: datetime | None = None, paused: datetime | None = None,
                 resolved: datetime | None = None) -> ClockChange:
    """Start the ticket's clocks, then (in this order) the first staff answer, waiting and closing."""
    change: ClockChange | None = clock.start(targets, started, MICO)
    assert change is not None
    response.record(session, ticket, change, started)
    steps = ((answered, lambda c, at: clock.first_response(c, at, "svar fra JH")),
             (paused, clock.pause), (resolved, lambda c, at: clock.resolve(c, at, MICO)))
    for at, event in steps:
        if at is not None:
            moved = event(change.clocks, at)
            assert moved is not None, f"{at}: the event changes nothing"
            response.record(session, ticket, moved, at, actor="JH")
            change = moved
    return change


def clock_ticket(engine: Engine, number: int, targets: ResponseTargets, started: datetime,
                 **events: datetime | None) -> ClockChange:
    """`start_clocks` on an existing ticket, in its own transaction."""
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, number)
        assert ticket is not None
        return start_clocks(session, ticket, targets, started, **events)
