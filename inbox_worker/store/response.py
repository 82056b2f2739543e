"""A ticket's response-time clocks in the database: read them as `ResponseClocks`, write a `ClockChange`.

The one place the clock columns of `tickets` and the rows of `response_events` are written, so the
columns, their history and the derived `next_due_at` can never disagree: through the ORM for staff
actions (`record`), as Core statements and values for the mail path (store/apply.py).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import ClockChange, ResponseClocks, ResponseTargets
from inbox_worker.domain.response_decision import ResponseDecision
from inbox_worker.store.models import Base, ResponseEvent, Ticket

_RULE, _REASON = 64, 500  # the column lengths of the rule and the reason
COLUMNS = ("response_rule", "response_reason", "first_response_minutes", "resolution_minutes", "clock_mode",
           "clock_started_at", "first_response_due_at", "first_response_at", "resolution_due_at", "resolved_at",
           "paused_at", "paused_minutes", "next_due_at")
_TICKETS = Base.metadata.tables["tickets"]
# Bound names differ from the column names: an UPDATE may not bind a parameter named like a column it sets.
_SET_CLOCKS = update(_TICKETS).where(_TICKETS.c.id == bindparam("clock_ticket")).values(
    {name: bindparam(f"new_{name}") for name in COLUMNS})
INSERT_EVENTS = insert(Base.metadata.tables["response_events"])


class ClockColumns(Protocol):
    """The clock columns of a ticket: an ORM `Ticket`, or a row that selected them (the queue's page)."""

    response_rule: str | None
    response_reason: str | None
    first_response_minutes: int | None
    resolution_minutes: int | None
    clock_mode: str | None
    clock_started_at: datetime | None
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    resolution_due_at: datetime | None
    paused_at: datetime | None
    paused_minutes: int
    resolved_at: datetime | None


CLOCK_COLUMNS = (Ticket.response_rule, Ticket.response_reason, Ticket.first_response_minutes,
                 Ticket.resolution_minutes, Ticket.clock_mode, Ticket.clock_started_at, Ticket.first_response_due_at,
                 Ticket.first_response_at, Ticket.resolution_due_at, Ticket.paused_at, Ticket.paused_minutes,
                 Ticket.resolved_at)


def clocks_of(ticket: ClockColumns) -> ResponseClocks | None:
    """The ticket's clocks, or None for a ticket from before the clocks existed."""
    if ticket.clock_started_at is None or ticket.first_response_due_at is None or ticket.resolution_due_at is None:
        return None
    targets = ResponseTargets(ticket.first_response_minutes or 0, ticket.resolution_minutes or 0,
                              ClockMode(ticket.clock_mode or ClockMode.OPENING_HOURS), ticket.response_rule or "",
                              ticket.response_reason or "")
    return ResponseClocks(targets, ticket.clock_started_at, ticket.first_response_due_at, ticket.resolution_due_at,
                          first_response_at=ticket.first_response_at, paused_at=ticket.paused_at,
                          paused_minutes=ticket.paused_minutes or 0, resolved_at=ticket.resolved_at)


def clock_values(change: ClockChange) -> dict[str, Any]:
    """The ticket columns that hold these clocks (for an ORM ticket or a Core insert/update alike)."""
    clocks, targets = change.clocks, change.clocks.targets
    pending = clocks.next_due
    return {
        "response_rule": targets.rule[:_RULE], "response_reason": targets.reason[:_REASON],
        "first_response_minutes": targets.first_response_minutes, "resolution_minutes": targets.resolution_minutes,
        "clock_mode": targets.mode.value, "clock_started_at": clocks.started_at,
        "first_response_due_at": clocks.first_response_due, "first_response_at": clocks.first_response_at,
        "resolution_due_at": clocks.resolution_due, "resolved_at": clocks.resolved_at,
        "paused_at": clocks.paused_at, "paused_minutes": clocks.paused_minutes,
        "next_due_at": pending[1] if pending else None,
    }


def event_values(ticket_id: int, change: ClockChange, at: datetime, actor: str | None = None) -> dict[str, Any]:
    """The `response_events` row of a change."""
    return {"ticket_id": ticket_id, "event": change.event.value, "rule": change.rule[:_RULE],
            "reason": change.reason[:_REASON], "actor": actor,
            "first_response_due_at": change.clocks.first_response_due,
            "resolution_due_at": change.clocks.resolution_due, "created_at": at}


def as_stored(clocks: ResponseClocks) -> ResponseClocks:
    """The clocks as `clocks_of` reads them back once written (the rule and reason cut to their columns)."""
    targets = clocks.targets
    if len(targets.rule) <= _RULE and len(targets.reason) <= _REASON:
        return clocks
    return dataclasses.replace(clocks, targets=dataclasses.replace(
        targets, rule=targets.rule[:_RULE], reason=targets.reason[:_REASON]))


def update_clocks(connection: Connection, ticket_id: int, change: ClockChange) -> None:
    """Core: put the changed clocks on an existing ticket (the mail path's transaction)."""
    values = clock_values(change)
    connection.execute(_SET_CLOCKS, {"clock_ticket": ticket_id, **{f"new_{k}": values[k] for k in COLUMNS}})


def decided_events(ticket_id: int, decision: ResponseDecision, actor: str | None = None) -> list[dict[str, Any]]:
    """The `response_events` rows of what a mail (or call) did to the clocks; `actor` wins over the decision's."""
    return [event_values(ticket_id, change, decision.at, actor or decision.actor) for change in decision.changes]


def record(session: Session, ticket: Ticket, change: ClockChange, at: datetime, actor: str | None = None) -> None:
    """Put the changed clocks on the ticket and add the event to its history (the caller's transaction)."""
    for column, value in clock_values(change).items():
        setattr(ticket, column, value)
    if ticket.id is None:
        session.flush()  # a new ticket: its number first, for the event row
    session.add(ResponseEvent(**event_values(ticket.id, change, at, actor)))


def history(session: Session, ticket_id: int) -> list[ResponseEvent]:
    """The ticket's clock events, oldest first."""
    return list(session.scalars(select(ResponseEvent).where(ResponseEvent.ticket_id == ticket_id)
                                .order_by(ResponseEvent.created_at, ResponseEvent.id)))
