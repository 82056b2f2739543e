"""The repository: registry snapshots, per-mail context, raw storage, and `apply` of a finished WorkItem.

`apply` writes the ticket change, thread entry, message references, attachments, decision log and
outbox row in the caller's single transaction, so either all of it happens or none of it does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..decide.thread import ticket_tag
from ..workitem import (
    ContactInfo,
    CustomerInfo,
    DeviceInfo,
    MailContext,
    Outcome,
    ParsedMail,
    RawState,
    RegistrySnapshot,
    ThreadAction,
    TicketState,
    TicketStatus,
    WorkItem,
)
from .models import (
    AttachmentRecord,
    Contact,
    Customer,
    DecisionLog,
    Device,
    MailboxState,
    MessageRef,
    OutboxMessage,
    RawMessage,
    Ticket,
    TicketDevice,
    TicketEntry,
)


@dataclass(frozen=True)
class OutgoingMail:
    kind: str
    recipient: str
    message_id: str
    subject: str
    body: bytes


class AlreadyProcessed(Exception):
    """Another worker finished this mail first; nothing more to write."""


@dataclass(frozen=True)
class StoredRaw:
    id: int
    already_processed: bool
    previous_decision: dict[str, Any] | None


def header_message_id(raw: bytes) -> str | None:
    """The Message-ID from the header block only: cheap, and done before any real parsing."""
    head = raw[: raw.find(b"\n\n") + 1 or 65536][:65536]
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get("message-id")
    except Exception:
        return None
    if not value:
        return None
    value = str(value).strip()
    start, end = value.find("<"), value.find(">")
    return value[start : end + 1] if 0 <= start < end else None


def load_snapshot(session: Session) -> RegistrySnapshot:
    keys = dict(session.execute(select(Customer.id, Customer.key)).all())
    customers = {
        c.key: CustomerInfo(c.key, c.name, tuple(c.domains), c.agreement, c.agreement_end, tuple(c.packages),
                            c.contact_person, c.account_manager, c.language, tuple(c.exceptions))
        for c in session.scalars(select(Customer))
    }
    by_address: dict[str, ContactInfo] = {}
    for c in session.scalars(select(Contact)):
        info = ContactInfo(keys[c.customer_id], c.email, tuple(c.aliases), c.name, tuple(c.packages),
                           c.language, c.phone)
        for address in (c.email, *c.aliases):
            by_address[address.lower()] = info
    devices: dict[str, list[DeviceInfo]] = {}
    for d in session.scalars(select(Device).order_by(Device.tag)):
        devices.setdefault(keys[d.customer_id], []).append(
            DeviceInfo(keys[d.customer_id], d.tag, d.kind, d.name, d.hostname, d.serial, d.model,
                       d.user_email, d.primary, tuple(d.packages)))
    domains = {domain: c.key for c in customers.values() for domain in c.domains}
    return RegistrySnapshot(customers, by_address, domains, {k: tuple(v) for k, v in devices.items()})


def _ticket_state(session: Session, ticket_id: int | None, keys: dict[int, str]) -> TicketState | None:
    if ticket_id is None:
        return None
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    customer = keys.get(ticket.customer_id) if ticket.customer_id else None
    return TicketState(ticket.id, TicketStatus(ticket.status), customer, ticket.closed_at)


def mail_context(session: Session, mail: ParsedMail, now: datetime) -> MailContext:
    keys = dict(session.execute(select(Customer.id, Customer.key)).all())
    tagged = _ticket_state(session, ticket_tag(mail.subject), keys)
    # In-Reply-To first, then References from newest to oldest: the closest ancestor we know decides.
    candidates = [*mail.in_reply_to, *reversed(mail.references)]
    referenced = None
    if candidates:
        refs = dict(session.execute(
            select(MessageRef.message_id, MessageRef.ticket_id).where(MessageRef.message_id.in_(candidates))
        ).all())
        found = next((refs[c] for c in candidates if c in refs), None)
        referenced = _ticket_state(session, found, keys)
    acks = 0
    if mail.from_address:
        written = mail.date or now
        acks = session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == "ack", OutboxMessage.recipient == mail.from_address,
            OutboxMessage.created_at > now - timedelta(hours=1),
            OutboxMessage.trigger_date > written - timedelta(hours=1),
            OutboxMessage.trigger_date < written + timedelta(hours=1))) or 0
    return MailContext(now=now, tagged_ticket=tagged, referenced_ticket=referenced, acks_to_sender_last_hour=acks)


def _record_uid(session: Session, mailbox: str | None, uid: int | None, now: datetime) -> None:
    if mailbox is None or uid is None:
        return
    state = session.get(MailboxState, mailbox)
    if state is not None and uid > state.last_uid:
        state.last_uid, state.updated_at = uid, now


def store_raw(session: Session, raw: bytes, source: str, uid: int | None, now: datetime,
              mailbox: str | None = None) -> StoredRaw:
    """Store the bytes (committing) unless this mail was stored before; dedupe by Message-ID, else sha256.

    For IMAP mail the UID is recorded as seen for its mailbox in the same commit as the bytes.
    """
    message_id = header_message_id(raw)
    sha = hashlib.sha256(raw).hexdigest()
    key = message_id or f"sha256:{sha}"
    existing = session.scalar(select(RawMessage).where(RawMessage.dedupe_key == key))
    if existing is None:
        record = RawMessage(dedupe_key=key, message_id=message_id, sha256=sha, size=len(raw), source=source[:500],
                            source_uid=uid, received_at=now, raw=raw, state=RawState.RECEIVED)
        session.add(record)
        _record_uid(session, mailbox, uid, now)
        try:
            session.commit()
            return StoredRaw(record.id, False, None)
        except IntegrityError:  # another worker stored it between our look and our insert
            session.rollback()
            existing = session.scalar(select(RawMessage).where(RawMessage.dedupe_key == key))
            if existing is None:
                raise
    if mailbox is not None:
        _record_uid(session, mailbox, uid, now)
        session.commit()
    if existing.state != RawState.PROCESSED:
        return StoredRaw(existing.id, False, None)  # stored, but a crash came before processing: redo
    return StoredRaw(existing.id, True, previous_decision(session, existing.id))


def claim_raw(session: Session, raw_id: int) -> RawMessage:
    """Lock the raw row for this transaction and check nobody processed it meanwhile."""
    raw = session.get(RawMessage, raw_id, with_for_update=True, populate_existing=True)
    if raw is None:
        raise LookupError(f"raw message {raw_id} vanished")
    if raw.state == RawState.PROCESSED:
        raise AlreadyProcessed(raw_id)
    return raw


def previous_decision(session: Session, raw_id: int) -> dict[str, Any] | None:
    return session.scalar(select(DecisionLog.decision).where(DecisionLog.raw_message_id == raw_id)
                          .order_by(DecisionLog.id.desc()).limit(1))


def _customer_id(session: Session, key: str | None) -> int | None:
    return session.scalar(select(Customer.id).where(Customer.key == key)) if key else None


def _open_or_update_ticket(session: Session, item: WorkItem, now: datetime) -> Ticket | None:
    thread, mail = item.thread, item.parsed
    if thread is None or (item.outcome == Outcome.IGNORED and thread.ticket is None):
        return None
    if thread.action == ThreadAction.NEW:
        assert item.link is not None and item.classification is not None and item.coverage is not None
        ticket = Ticket(
            subject=(mail.subject or "(intet emne)")[:1000], status=TicketStatus.OPEN,
            customer_id=_customer_id(session, item.link.customer), contact_email=item.link.contact,
            from_address=mail.from_address, category=item.classification.category,
            priority=item.classification.priority, language=item.classification.language,
            coverage=item.coverage.as_dict(), review=list(item.review),
            previous_ticket_id=thread.previous_ticket, created_at=now, updated_at=now)
        session.add(ticket)
        session.flush()
        for tag in item.link.devices:
            device_id = session.scalar(select(Device.id).where(Device.tag == tag))
            if device_id is not None:
                session.add(TicketDevice(ticket_id=ticket.id, device_id=device_id))
        return ticket
    existing = session.get(Ticket, thread.ticket)
    if existing is None:
        return None
    ticket = existing
    if item.outcome != Outcome.IGNORED:
        ticket.updated_at = now
        if thread.action == ThreadAction.REOPEN or ticket.status == TicketStatus.WAITING:
            ticket.status, ticket.closed_at = TicketStatus.OPEN, None
    return ticket


def _store_attachments(session: Session, item: WorkItem, raw_id: int, ticket: Ticket | None,
                       save: Callable[[bytes, str], tuple[str | None, str | None]]) -> None:
    for attachment in item.parsed.attachments:
        path, skipped = save(attachment.payload, attachment.sha256)
        session.add(AttachmentRecord(raw_message_id=raw_id, ticket_id=ticket.id if ticket else None,
                                     filename=attachment.filename, content_type=attachment.content_type[:200],
                                     size=attachment.size, sha256=attachment.sha256, stored_path=path,
                                     skipped_reason=skipped))


def apply(session: Session, item: WorkItem, raw_id: int, now: datetime,
          compose_ack: Callable[[int, WorkItem], OutgoingMail],
          save_attachment: Callable[[bytes, str], tuple[str | None, str | None]],
          decision_of: Callable[[WorkItem, int | None, str, str | None], dict[str, Any]],
          trace_of: Callable[[WorkItem], list[Any]]) -> dict[str, Any]:
    """Write everything one processed mail changes, in the caller's transaction; returns the decision."""
    raw = claim_raw(session, raw_id)
    mail = item.parsed
    ticket = _open_or_update_ticket(session, item, now) if item.outcome != Outcome.QUARANTINED else None
    if ticket is not None:
        session.add(TicketEntry(ticket_id=ticket.id, kind="inbound", raw_message_id=raw_id, author=mail.from_address,
                                subject=mail.subject, body_text=mail.body_text, created_at=now))
        if mail.message_id and session.get(MessageRef, mail.message_id) is None:
            session.add(MessageRef(message_id=mail.message_id, ticket_id=ticket.id, direction="in"))
    if item.outcome != Outcome.QUARANTINED:
        _store_attachments(session, item, raw_id, ticket, save_attachment)
    ack_status, ack_reason = "none", None
    if item.ack is not None and not item.ack.send and item.ack.reason:
        ack_status, ack_reason = "suppressed", item.ack.reason
    if item.ack is not None and item.ack.send and ticket is not None:
        outgoing = compose_ack(ticket.id, item)
        outbox = OutboxMessage(kind=outgoing.kind, ticket_id=ticket.id, recipient=outgoing.recipient,
                               message_id=outgoing.message_id, subject=outgoing.subject, body=outgoing.body,
                               status="queued", next_attempt_at=now, created_at=now,
                               trigger_date=mail.date or now)
        session.add(outbox)
        session.flush()
        session.add(MessageRef(message_id=outgoing.message_id, ticket_id=ticket.id, direction="out"))
        session.add(TicketEntry(ticket_id=ticket.id, kind="outbound", outbox_id=outbox.id, author="system",
                                subject=outgoing.subject, body_text="", created_at=now))
        ack_status = "queued"
    decision = decision_of(item, ticket.id if ticket else None, ack_status, ack_reason)
    session.add(DecisionLog(raw_message_id=raw_id, ticket_id=ticket.id if ticket else None,
                            outcome=str(item.outcome), decision=decision, trace=trace_of(item), created_at=now))
    raw.state, raw.outcome, raw.processed_at = RawState.PROCESSED, str(item.outcome), now
    raw.ticket_id = ticket.id if ticket else None
    return decision


def record_quarantine(session: Session, raw_id: int, decision: dict[str, Any], trace: list[Any], now: datetime) -> None:
    """A mail that could not be parsed or processed: kept with its reason, in the caller's transaction."""
    raw = claim_raw(session, raw_id)
    session.add(DecisionLog(raw_message_id=raw_id, ticket_id=None, outcome=str(Outcome.QUARANTINED),
                            decision=decision, trace=trace, created_at=now))
    raw.state, raw.outcome, raw.processed_at = RawState.PROCESSED, str(Outcome.QUARANTINED), now
