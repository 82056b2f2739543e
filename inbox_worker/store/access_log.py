"""The access log (GDPR): who viewed a ticket, downloaded an attachment or exported personal data, and when.

Written by the web pages and `privacy export`, read on the ticket's audit section, pruned by retention.
It names staff and records, never mail content.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import AccessEntry


class AccessAction(StrEnum):
    VIEW = "view"  # a ticket's page shown
    DOWNLOAD = "download"  # an attachment (or a stored mail) downloaded
    EXPORT = "export"  # a privacy export of a person or a customer


def record(session: Session, actor: str, action: AccessAction, now: datetime, *, ticket: int | None = None,
           customer: int | None = None, attachment: int | None = None, what: str = "") -> None:
    session.add(AccessEntry(at=now, actor=actor, action=action.value, ticket_id=ticket, customer_id=customer,
                            attachment_id=attachment, what=what[:500]))


def for_ticket(session: Session, ticket: int) -> list[AccessEntry]:
    return list(session.scalars(select(AccessEntry).where(AccessEntry.ticket_id == ticket).order_by(AccessEntry.id)))


def prune(session: Session, before: datetime, *, dry_run: bool = False) -> int:
    """Remove entries older than `before` (retention); returns how many were (or would be) removed."""
    old = select(AccessEntry.id).where(AccessEntry.at < before)
    count = len(list(session.scalars(old)))
    if count and not dry_run:
        session.execute(delete(AccessEntry).where(AccessEntry.at < before))
    return count
