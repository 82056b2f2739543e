"""Read-only queries for commands and views: the ticket queue, and what the web queue shows of each row
beyond the ticket's own columns (the last entry's first words, the contact's name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import Contact, Customer, DecisionLog, Ticket, TicketEntry


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


SNIPPET_CHARS = 160  # read of each last entry: enough for the words a one-line row can show
_WORDS = re.compile(r"\s+")


@dataclass(frozen=True)
class LastEntry:
    kind: str  # inbound | outbound | note
    at: datetime
    words: str  # the first words of its text, whitespace collapsed


def last_entries(session: Session, ticket_ids: list[int]) -> dict[int, LastEntry]:
    """Each ticket's newest entry with words (a mail either way or a note; not an event nor the empty
    acknowledgement stub), in one query over the given tickets: the queue page's rows only."""
    if not ticket_ids:
        return {}
    newest = (select(func.max(TicketEntry.id)).where(TicketEntry.ticket_id.in_(ticket_ids),
                                                     TicketEntry.kind.in_(("inbound", "outbound", "note")),
                                                     TicketEntry.body_text != "")
              .group_by(TicketEntry.ticket_id))
    query = select(TicketEntry.ticket_id, TicketEntry.kind, TicketEntry.created_at,
                   func.substr(TicketEntry.body_text, 1, SNIPPET_CHARS)).where(
        TicketEntry.id.in_(newest.scalar_subquery()))
    return {ticket: LastEntry(kind, at, _WORDS.sub(" ", text or "").strip())
            for ticket, kind, at, text in session.execute(query)}


def contact_names(session: Session, emails: list[str]) -> dict[str, str]:
    """The registered name of each contact address, in one query over the given addresses."""
    wanted = sorted({email for email in emails if email})
    if not wanted:
        return {}
    query = select(Contact.email, Contact.name).where(Contact.email.in_(wanted))
    return {email: name for email, name in session.execute(query)}
