"""The clocks written by store/response.py read back as the same clocks, with their history, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.response_clock import ResponseTargets
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.store import response
from inbox_worker.store.models import Ticket

MICO = WorkCalendar(OfficeHours())
NORMAL = ResponseTargets(240, 1260, ClockMode.OPENING_HOURS, "response-normal", "Serviceaftale")


def test_clocks_and_their_history_round_trip(engine: Engine) -> None:
    arrived = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    started = clock.start(NORMAL, arrived, MICO)
    paused = clock.pause(started.clocks, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert paused is not None
    with Session(engine) as session, session.begin():
        ticket = Ticket(subject="Printer", created_at=arrived, updated_at=arrived)
        session.add(ticket)
        response.record(session, ticket, started, arrived)
        response.record(session, ticket, paused, paused.clocks.paused_at or arrived, actor="JH")
        number = ticket.id
    with Session(engine) as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None and response.clocks_of(ticket) == paused.clocks
        assert ticket.next_due_at == started.clocks.first_response_due  # waiting never pauses the first response
        events = response.history(session, number)
        assert [(e.event, e.actor) for e in events] == [("started", None), ("paused", "JH")]


def test_a_ticket_from_before_the_clocks_has_none(engine: Engine) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        ticket = Ticket(subject="Gammel sag", created_at=now, updated_at=now)
        session.add(ticket)
        session.flush()
        assert response.clocks_of(ticket) is None and response.history(session, ticket.id) == []
