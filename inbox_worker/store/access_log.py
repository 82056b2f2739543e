"""The access log (GDPR): who viewed a ticket, downloaded an attachment or exported personal data, and when.

Written by the web pages and `privacy export`, read on the ticket's audit section, pruned by retention.
It names staff and records, never mail content: not even a downloaded file's name (read from the attachment
while it exists), so erasing a person leaves nothing of theirs here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import AccessEntry, AttachmentRecord


class AccessAction(StrEnum):
    VIEW = "view"  # a ticket's page shown
    DOWNLOAD = "download"  # an attachment (or a stored mail) downloaded
    EXPORT = "export"  # a privacy export of a person or a customer


MAIL_HTML = "mail-html"  # `what` of a VIEW of one mail's sanitized HTML version (the ticket page itself: "")
PERSON = "person #"  # `what` of an EXPORT: "person #<contact id>" (never an address) or "customer <key>"
CUSTOMER = "customer "


def person_scope(contact_id: int) -> str:
    """`what` of an EXPORT of one person: their contact id, never their address."""
    return f"{PERSON}{contact_id}"


def customer_scope(key: str) -> str:
    """`what` of an EXPORT of a whole customer."""
    return f"{CUSTOMER}{key}"


@dataclass(frozen=True)
class Seen:
    """One entry as the ticket page shows it."""

    at: datetime
    actor: str
    action: AccessAction
    what: str
    attachment: int | None
    filename: str | None  # a download's file name while the attachment's record has one (erasure removes it)


def record(session: Session, actor: str, action: AccessAction, now: datetime, *, ticket: int | None = None,
           customer: int | None = None, attachment: int | None = None, what: str = "") -> None:
    session.add(AccessEntry(at=now, actor=actor, action=action.value, ticket_id=ticket, customer_id=customer,
                            attachment_id=attachment, what=what[:500]))


def for_ticket(session: Session, ticket: int) -> list[AccessEntry]:
    return list(session.scalars(select(AccessEntry).where(AccessEntry.ticket_id == ticket).order_by(AccessEntry.id)))


def seen_on_ticket(session: Session, ticket: int, *, customer: int | None = None,
                   export_scopes: Collection[str] = ()) -> list[Seen]:
    """The ticket's entries, and the exports that held it (of its customer, by one of `export_scopes`), oldest first."""
    mine = AccessEntry.ticket_id == ticket
    if customer is not None and export_scopes:
        mine = or_(mine, and_(AccessEntry.action == AccessAction.EXPORT.value, AccessEntry.customer_id == customer,
                              AccessEntry.what.in_(list(export_scopes))))
    rows = session.execute(
        select(AccessEntry.at, AccessEntry.actor, AccessEntry.action, AccessEntry.what, AccessEntry.attachment_id,
               AttachmentRecord.filename)
        .outerjoin(AttachmentRecord, AttachmentRecord.id == AccessEntry.attachment_id)
        .where(mine).order_by(AccessEntry.at, AccessEntry.id))
    return [Seen(at, actor, AccessAction(action), what, attachment, filename or None)
            for at, actor, action, what, attachment, filename in rows]


def prune(session: Session, before: datetime, *, dry_run: bool = False) -> int:
    """Remove entries older than `before` (retention); returns how many were (or would be) removed."""
    old = select(AccessEntry.id).where(AccessEntry.at < before)
    count = len(list(session.scalars(old)))
    if count and not dry_run:
        session.execute(delete(AccessEntry).where(AccessEntry.at < before))
    return count
