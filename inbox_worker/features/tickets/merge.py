"""Merge one ticket into another: its thread, mail, attachments and devices move; it is closed and points on.

Its response-time clocks stop at the merge (the other ticket's clocks run on for the request).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from inbox_worker.domain.types import TicketStatus
from inbox_worker.features.tickets.clocks import ClockSetup, merged
from inbox_worker.features.tickets.edit import ActionError, refresh_sort
from inbox_worker.store import audit
from inbox_worker.store.models import (
    AttachmentRecord,
    DecisionLog,
    MessageRef,
    OutboxMessage,
    RawMessage,
    Ticket,
    TicketDevice,
    TicketEntry,
)

_MOVED = (TicketEntry, AttachmentRecord, MessageRef, RawMessage, DecisionLog, OutboxMessage)


def _check(source: Ticket, target: Ticket | None) -> Ticket:
    if target is None or target.id == source.id:
        raise ActionError("Vælg en anden, eksisterende sag at flette ind i")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise ActionError("En sag, der allerede er flettet, kan ikke flettes igen")
    if source.customer_id and target.customer_id and source.customer_id != target.customer_id:
        raise ActionError("Sagerne tilhører forskellige kunder")
    return target


def merge(session: Session, source: Ticket, target_number: int, actor: str, now: datetime,
          clocks: ClockSetup) -> Ticket:
    """Move everything of `source` onto ticket `target_number`; returns the target."""
    target = _check(source, session.get(Ticket, target_number))
    for model in _MOVED:
        column = model.ticket_id
        session.execute(update(model).where(column == source.id).values(ticket_id=target.id))
    have = set(session.scalars(select(TicketDevice.device_id).where(TicketDevice.ticket_id == target.id)))
    for device_id in session.scalars(select(TicketDevice.device_id).where(TicketDevice.ticket_id == source.id)):
        if device_id not in have:
            session.add(TicketDevice(ticket_id=target.id, device_id=device_id))
    session.execute(delete(TicketDevice).where(TicketDevice.ticket_id == source.id))
    target.customer_id = target.customer_id or source.customer_id
    target.contact_email = target.contact_email or source.contact_email
    target.review = list(dict.fromkeys([*target.review, *source.review]))
    target.updated_at = now
    refresh_sort(target)
    source.status, source.closed_at, source.merged_into_id = TicketStatus.CLOSED.value, now, target.id
    stopped = merged(session, source, target.id, clocks, actor, now)
    session.add(TicketEntry(ticket_id=target.id, kind="event", author=actor, subject=None, created_at=now,
                            body_text=f"Sag #{source.id} er flettet ind i denne sag"))
    session.add(TicketEntry(ticket_id=source.id, kind="event", author=actor, subject=None, created_at=now,
                            body_text=f"Flettet ind i sag #{target.id}"))
    audit.record(session, actor, "merge", now, ticket=source.id, into=target.id,
                 clock=[stopped.event.value] if stopped else [])
    audit.record(session, actor, "merged-in", now, ticket=target.id, source=source.id)
    return target
