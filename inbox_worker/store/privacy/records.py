"""The erasure records (privacy_erasures): opened first, so the pseudonym's number is known, closed with counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.domain.privacy import person_pseudonym
from inbox_worker.store import audit
from inbox_worker.store.models import ErasedTicket, PrivacyErasure, Ticket


def next_number(session: Session) -> int:
    """The number the next erasure most likely gets (a dry run shows the pseudonym with it)."""
    return int(session.scalar(select(func.max(PrivacyErasure.id))) or 0) + 1


def open_record(session: Session, by: str, reason: str, scope: str, customer_id: int | None,
                now: datetime) -> PrivacyErasure:
    record = PrivacyErasure(at=now, by=by[:16], reason=reason, scope=scope, customer_id=customer_id, counts={})
    session.add(record)
    session.flush()
    return record


def close_record(session: Session, record: PrivacyErasure, counts: dict[str, Any], pseudonym: str,
                 action: str = "privacy-erase") -> None:
    """The counts on the record, and the audit entry: who, when, why, the pseudonym, the counts (no data)."""
    record.counts = counts
    named: dict[str, Any] = {"pseudonym": pseudonym} if pseudonym else {}
    audit.record(session, record.by, action, record.at, customer=record.customer_id, reason=record.reason,
                 scope=record.scope, erasure=record.id, counts=counts, **named)


def erased_contact_person(session: Session, customer_id: int) -> str | None:
    """The pseudonym of the customer's contact person when an erasure took it away (the latest), else None."""
    records = session.scalars(select(PrivacyErasure).where(PrivacyErasure.customer_id == customer_id,
                                                           PrivacyErasure.scope == "person")
                              .order_by(PrivacyErasure.id.desc()))
    return next((person_pseudonym(r.id) for r in records if (r.counts or {}).get("contact_person")), None)


def mark_tickets(session: Session, tickets: list[int], erasure_id: int) -> None:
    """The tickets this record erased or anonymised (each once: the first record that did it)."""
    done = set(session.scalars(select(ErasedTicket.ticket_id).where(ErasedTicket.ticket_id.in_(tickets))))
    session.add_all(ErasedTicket(ticket_id=t, erasure_id=erasure_id) for t in tickets if t not in done)
    session.flush()


def not_erased() -> Any:
    """A condition on Ticket: neither erased nor anonymised yet."""
    return ~select(ErasedTicket.ticket_id).where(ErasedTicket.ticket_id == Ticket.id).exists()
