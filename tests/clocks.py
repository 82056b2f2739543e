"""Seed tickets with response-time clocks for tests: through domain.response_clock and store.response.record only."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.response_clock import ResponseTargets
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.store import response
from inbox_worker.store.models import Customer, Ticket

CPH = ZoneInfo("Europe/Copenhagen")
MICO = WorkCalendar(OfficeHours())  # the default [company]: 09-16 on weekdays, Danish public holidays
NORMAL = ResponseTargets(240, 1260, ClockMode.OPENING_HOURS, "response-normal", "Serviceaftale: svar inden for 4 arbejdstimer")
HIGH = ResponseTargets(60, 420, ClockMode.OPENING_HOURS, "response-high", "Høj prioritet (serverpakken)")
NO_AGREEMENT = ResponseTargets(420, 2100, ClockMode.OPENING_HOURS, "response-no-agreement", "Ingen gældende serviceaftale")
EMERGENCY = ResponseTargets(30, 240, ClockMode.AROUND_THE_CLOCK, "response-emergency", "Akut, kritisk fejl")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Copenhagen wall-clock moment, as the aware UTC moment the database holds."""
    return datetime(year, month, day, hour, minute, tzinfo=CPH).astimezone(UTC)


def open_ticket(engine: Engine, started: datetime, targets: ResponseTargets = NORMAL, *, customer: str | None = None,
                priority: str = "normal", subject: str = "Printeren virker ikke", assignee: str | None = None,
                sender: str = "lone@bageriet-soerensen.dk") -> int:
    """A new ticket whose clocks started at `started`; its number."""
    with Session(engine) as session, session.begin():
        customer_id = session.scalar(select(Customer.id).where(Customer.key == customer)) if customer else None
        ticket = Ticket(subject=subject, created_at=started, updated_at=started, customer_id=customer_id,
                        priority=priority, assignee=assignee, from_address=sender, contact_email=sender)
        session.add(ticket)
        response.record(session, ticket, clock.start(targets, started, MICO), started)
        return int(ticket.id)


def _move(engine: Engine, number: int, at: datetime, event: str, status: str | None = None) -> None:
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, number)
        assert ticket is not None
        clocks = response.clocks_of(ticket)
        assert clocks is not None
        change = {"answer": lambda: clock.first_response(clocks, at, "svar fra JH"),
                  "pause": lambda: clock.pause(clocks, at), "resume": lambda: clock.resume(clocks, at, MICO),
                  "resolve": lambda: clock.resolve(clocks, at, MICO)}[event]()
        assert change is not None, f"{event} changed nothing on #{number}"
        response.record(session, ticket, change, at, actor="JH")
        if status is not None:
            ticket.status = status
            ticket.closed_at = at if status == "closed" else None
        ticket.updated_at = at


def answer(engine: Engine, number: int, at: datetime) -> None:
    _move(engine, number, at, "answer")


def wait_for_customer(engine: Engine, number: int, at: datetime) -> None:
    _move(engine, number, at, "pause", "waiting")


def customer_replied(engine: Engine, number: int, at: datetime) -> None:
    _move(engine, number, at, "resume", "open")


def close(engine: Engine, number: int, at: datetime) -> None:
    _move(engine, number, at, "resolve", "closed")


def seed_november(engine: Engine) -> dict[str, int]:
    """The month the report and summary tests count (hand-computed figures in tests/integration/test_sla_report.py).

    Week 47 is Monday 16 - Sunday 22 November 2026.
    """
    t: dict[str, int] = {}
    # A mail on Friday 15:50 from a customer without an agreement: 420 minutes to answer, due Monday 15:50.
    t["friday"] = open_ticket(engine, local(2026, 11, 20, 15, 50), NO_AGREEMENT, customer="haarfin", priority="low",
                              sender="pernille@salon-haarfin.dk")
    answer(engine, t["friday"], local(2026, 11, 23, 10))  # 10 min Friday + 60 Monday = 70
    # A server-package emergency on Saturday, answered in 20 minutes and resolved in 3 hours (on a 4-hour promise).
    t["emergency"] = open_ticket(engine, local(2026, 11, 21, 10), EMERGENCY, customer="bageriet", priority="emergency",
                                 subject="Serveren er nede")
    answer(engine, t["emergency"], local(2026, 11, 21, 10, 20))
    close(engine, t["emergency"], local(2026, 11, 21, 13))
    # A normal mail answered by staff after 3 working hours, resolved the next day (600 working minutes).
    t["answered"] = open_ticket(engine, local(2026, 11, 17, 9), customer="bageriet")
    answer(engine, t["answered"], local(2026, 11, 17, 12))
    close(engine, t["answered"], local(2026, 11, 18, 12))
    # Answered in an hour, then waiting for the customer for two days (840 working minutes), resolved Thursday.
    t["waited"] = open_ticket(engine, local(2026, 11, 16, 10), customer="tandlaegerne",
                              sender="mette@tandlaegerne-aaen.dk")
    answer(engine, t["waited"], local(2026, 11, 16, 11))
    wait_for_customer(engine, t["waited"], local(2026, 11, 16, 11))
    customer_replied(engine, t["waited"], local(2026, 11, 18, 11))
    close(engine, t["waited"], local(2026, 11, 19, 12))
    # Answered an hour late (due 13:00, answered 14:00), never resolved.
    t["late"] = open_ticket(engine, local(2026, 11, 19, 9), customer="bageriet")
    answer(engine, t["late"], local(2026, 11, 19, 14))
    # The last working hour of the month: not answered yet, due Tuesday 1 December 12:00.
    t["fresh"] = open_ticket(engine, local(2026, 11, 30, 15), customer="bageriet")
    # Sunday 1 November 00:30 in Copenhagen (Saturday 31 October in UTC): a November ticket.
    t["first"] = open_ticket(engine, local(2026, 11, 1, 0, 30), customer="tandlaegerne",
                             sender="mette@tandlaegerne-aaen.dk")
    answer(engine, t["first"], local(2026, 11, 2, 9, 30))
    close(engine, t["first"], local(2026, 11, 2, 10))
    # Not November's: the evening before in Copenhagen, and the first minutes of December.
    t["october"] = open_ticket(engine, local(2026, 10, 31, 23, 30), customer="bageriet")
    t["december"] = open_ticket(engine, local(2026, 12, 1, 0, 15), customer="bageriet")
    # Merged into another ticket: its request lives on there.
    t["merged"] = open_ticket(engine, local(2026, 11, 17, 9, 5), customer="bageriet")
    with Session(engine) as session, session.begin():
        merged = session.get(Ticket, t["merged"])
        assert merged is not None
        merged.merged_into_id, merged.status = t["answered"], "closed"
    return t
