"""Read-only queries for commands and views: the ticket queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.store.models import Customer, DecisionLog, Ticket


def ticket_rows(session: Session, status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """One dict per ticket (the fields of `tickets list --json`), oldest first, as a queue."""
    query = (select(Ticket, Customer.key).outerjoin(Customer, Customer.id == Ticket.customer_id)
             .order_by(Ticket.id))
    if status:
        query = query.where(Ticket.status == status)
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    last_outcome: dict[int, str] = {}
    if rows:
        ids = [ticket.id for ticket, _ in rows]
        for ticket_id, outcome in session.execute(
            select(DecisionLog.ticket_id, DecisionLog.outcome).where(DecisionLog.ticket_id.in_(ids))
            .order_by(DecisionLog.id)
        ):
            if ticket_id is not None:
                last_outcome[ticket_id] = outcome
    return [{
        "ticket": ticket.id, "subject": ticket.subject, "from": ticket.from_address, "customer": key,
        "contact": ticket.contact_email, "status": ticket.status, "category": ticket.category,
        "priority": ticket.priority, "coverage": ticket.coverage, "review": ticket.review,
        "created": ticket.created_at.isoformat(), "updated": ticket.updated_at.isoformat(),
        "last_outcome": last_outcome.get(ticket.id),
    } for ticket, key in rows]
