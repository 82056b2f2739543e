"""The audit log: one row per staff action, with what changed; read back per ticket and per customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.store.models import AuditEntry


def record(session: Session, actor: str, action: str, now: datetime, *, ticket: int | None = None,
           customer: int | None = None, **details: Any) -> None:
    session.add(AuditEntry(ticket_id=ticket, customer_id=customer, actor=actor, action=action,
                           details=details, created_at=now))


def for_ticket(session: Session, ticket: int) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.ticket_id == ticket).order_by(AuditEntry.id)))
