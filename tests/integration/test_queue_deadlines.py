"""The queue by nearest due moment and filtered to "overskredet", on both databases, at a controlled `now`.

Wednesday 2 December 2026 13:00 in Copenhagen, with MICO's opening hours 09-16:
- late: a normal ticket from Tuesday 10:00, first response due Tuesday 14:00, unanswered;
- waiting-late: waiting for the customer, but its first response (due Tuesday 13:00) was never given;
- emergency: around the clock from Wednesday 12:50, first response due 13:20;
- soon: a high-priority ticket from Wednesday 12:30, first response due 13:30;
- answered: answered, its resolution due next week;
- waiting: answered and waiting for the customer (no open promise);
- old: a ticket from before the clocks;
- closed-unstopped: closed, but its clocks were never stopped (a past next_due_at): never "overskredet".
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.features.queue.triage import QueueFilter, QueueSort, queue_page
from inbox_worker.store.models import Customer, Ticket
from tests.clockseed import EMERGENCY, HIGH, NORMAL, start_clocks

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 12, 2, 13, 0, tzinfo=CPH)


def cph(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CPH)


@pytest.fixture
def tickets(engine: Engine) -> dict[str, int]:
    with Session(engine) as session, session.begin():
        bakery = session.scalar(select(Customer.id).where(Customer.key == "bageriet"))
        numbers: dict[str, Ticket] = {}

        def ticket(name: str, status: str = "open", customer: int | None = bakery) -> Ticket:
            row = Ticket(subject=name, status=status, customer_id=customer, created_at=cph(1, 9), updated_at=cph(1, 9))
            session.add(row)
            numbers[name] = row
            return row

        start_clocks(session, ticket("late"), NORMAL, cph(1, 10))
        start_clocks(session, ticket("waiting-late", "waiting"), HIGH, cph(1, 12), paused=cph(1, 12, 30))
        start_clocks(session, ticket("emergency", customer=None), EMERGENCY, cph(2, 12, 50))
        start_clocks(session, ticket("soon"), HIGH, cph(2, 12, 30))
        start_clocks(session, ticket("answered"), NORMAL, cph(2, 10), answered=cph(2, 10, 30))
        start_clocks(session, ticket("waiting", "waiting"), NORMAL, cph(1, 10), answered=cph(1, 11), paused=cph(1, 12))
        ticket("old")
        session.flush()
        start_clocks(session, ticket("closed-unstopped", "closed"), NORMAL, cph(1, 9))
        session.flush()
        return {name: row.id for name, row in numbers.items()}


def listed(engine: Engine, f: QueueFilter, tickets: dict[str, int], now: datetime = NOW) -> list[str]:
    names = {number: name for name, number in tickets.items()}
    with Session(engine) as session:
        return [names[row["id"]] for row in queue_page(session, f, 50, now).rows]


def test_nearest_due_puts_the_most_overdue_first_and_no_open_promise_last(engine: Engine,
                                                                          tickets: dict[str, int]) -> None:
    assert listed(engine, QueueFilter(sort=QueueSort.DUE), tickets) == ["late", "emergency", "soon", "answered",
                                                                        "old"]
    assert listed(engine, QueueFilter(status="waiting", sort=QueueSort.DUE), tickets) == ["waiting-late", "waiting"]


def test_overskredet_is_a_promise_past_due_of_an_open_or_waiting_ticket(engine: Engine,
                                                                       tickets: dict[str, int]) -> None:
    assert listed(engine, QueueFilter(overdue=True), tickets) == ["late"]
    assert sorted(listed(engine, QueueFilter(status="", overdue=True), tickets)) == ["late", "waiting-late"]
    assert listed(engine, QueueFilter(status="closed", overdue=True), tickets) == []
    # Twenty-five minutes later the emergency (due 13:20) is late too; the soon one (13:30) not yet.
    assert listed(engine, QueueFilter(overdue=True, sort=QueueSort.DUE), tickets, cph(2, 13, 25)) == [
        "late", "emergency"]


def test_overskredet_is_counted_with_the_other_filters(engine: Engine, tickets: dict[str, int]) -> None:
    with Session(engine) as session:
        everything = queue_page(session, QueueFilter(status=""), 50, NOW)
        assert everything.counts["overdue"] == [("1", "overdue", 2)]
        overdue = queue_page(session, QueueFilter(status="", overdue=True), 50, NOW)
        assert overdue.total == 2 and dict((v, n) for v, _, n in overdue.counts["status"]) == {"open": 1, "waiting": 1}
        assert [(key, n) for key, _, n in overdue.counts["customer"]] == [("bageriet", 2)]
        open_bakery = queue_page(session, QueueFilter(customer="bageriet"), 50, NOW)
        assert open_bakery.counts["overdue"] == [("1", "overdue", 1)] and open_bakery.total == 4
        assert queue_page(session, QueueFilter(status="closed"), 50, NOW).counts["overdue"] == []


def test_each_row_of_the_page_carries_its_clocks(engine: Engine, tickets: dict[str, int]) -> None:
    with Session(engine) as session:
        rows = {row["id"]: row for row in queue_page(session, QueueFilter(), 50, NOW).rows}
    late = rows[tickets["late"]]["clocks"]
    assert late is not None and late.first_response_due == cph(1, 14) and late.targets.rule == "response-normal"
    assert rows[tickets["old"]]["clocks"] is None
