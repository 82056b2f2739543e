"""The coverage facts the database holds: a ticket's staff override, and service visits used this year."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import CoverageStatus
from inbox_worker.domain.types import Coverage
from inbox_worker.domain.vocabulary import OVERRIDE_RULE
from inbox_worker.store.models import Ticket


def override_of(coverage: Mapping[str, Any] | None) -> Coverage | None:
    """The ticket's coverage as a Coverage when staff set it, else None (the rules decide)."""
    if not coverage or coverage.get("rule") != OVERRIDE_RULE:
        return None
    status = CoverageStatus(str(coverage["status"]))
    return Coverage(status, int(coverage["rate_dkk"]), coverage.get("package"), OVERRIDE_RULE,
                    str(coverage.get("reason", "")), review=("billable",) if status == CoverageStatus.BILLABLE else ())


_VISIT_TICKETS = (
    select(Ticket.id, Ticket.customer_id)
    .where(Ticket.category == "visit", Ticket.customer_id.is_not(None),
           Ticket.created_at >= bindparam("start"), Ticket.created_at < bindparam("end"))
)


def visit_tickets(session: Session, year: int, timezone: str) -> list[tuple[int, int | None]]:
    """(ticket, customer id) of every visit ticket opened in the calendar year (local time): few per customer."""
    zone = ZoneInfo(timezone)
    rows = session.connection().execute(_VISIT_TICKETS, {
        "start": datetime(year, 1, 1, tzinfo=zone), "end": datetime(year + 1, 1, 1, tzinfo=zone)})
    return [(int(ticket), customer_id) for ticket, customer_id in rows]


def visits_by_customer(tickets: Iterable[tuple[int, int | None]],
                       customer_keys: Mapping[int, str]) -> dict[str, tuple[int, ...]]:
    """The year's visit tickets grouped by customer key (the pipeline leaves out the ticket a mail continues)."""
    found: dict[str, list[int]] = {}
    for ticket, customer_id in tickets:
        key = customer_keys.get(customer_id or 0)
        if key is not None:
            found.setdefault(key, []).append(ticket)
    return {key: tuple(numbers) for key, numbers in found.items()}
