"""What the ticket page shows, read in a fixed handful of queries (no query per thread entry)."""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.domain.labels import ENTRY, OUTBOUND_ENTRY
from inbox_worker.mail.parse.reply_parts import ReplyParts, split_reply
from inbox_worker.store import audit
from inbox_worker.store.models import (
    AttachmentRecord,
    AuditEntry,
    Contact,
    Customer,
    DecisionLog,
    Device,
    OutboxAttachment,
    OutboxMessage,
    RawBlob,
    RawMessage,
    Staff,
    Ticket,
    TicketDevice,
    TicketEntry,
)


@dataclass
class TicketView:
    ticket: Ticket
    customer: Customer | None
    contacts: list[Contact]
    customer_devices: list[Device]
    linked_devices: list[Device]
    entries: list[TicketEntry]
    attachments: dict[int, list[AttachmentRecord]]  # raw message id -> its attachments
    outbox_status: dict[int, str]
    decisions: list[DecisionLog]
    audit: list[AuditEntry]
    staff: list[Staff]
    customers: list[tuple[str, str]]
    sent_attachments: dict[int, list[OutboxAttachment]] = field(default_factory=dict)  # outbox id -> its files


# A mail written this much earlier than it reached us (a queue, a laptop offline) shows both times.
NOTICEABLE_DELAY = timedelta(minutes=10)
_HEADER_BYTES = 64 * 1024  # a header block is read from the start of the stored mail, not the whole mail
_FULL_TEXT_CHARS = 100_000
_COLLAPSED = ("ack", "oncall", "warning", "alert", "summary", "reply")


@dataclass(frozen=True)
class ThreadItem:
    """One entry of the thread as the page shows it: who, when, the new text and what is folded."""

    entry: TicketEntry
    label: str  # "Mail fra kunden", "Kvittering", "Svar fra Jens Hansen", "Vagtbesked", "Internt notat"
    who: str  # the contact's or staff member's name, else the address
    address: str | None
    phone: str | None  # the contact's phone, at hand
    written_at: datetime | None  # the mail's own Date header
    arrived_at: datetime  # when it reached the mailbox (or was stored, or was written here)
    delayed: bool  # written noticeably before it arrived: both times are shown
    parts: ReplyParts
    full_text: str | None  # an outbound mail as sent, shown on demand
    collapsed: bool  # acknowledgements, notices and staff replies are shown in full on demand
    outbox_kind: str | None


def _header_date(raw: bytes | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(raw).get("date")
        moment = parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError, IndexError, LookupError):
        return None
    return moment if moment is not None and moment.tzinfo else None


def _sent_text(body: bytes) -> str | None:
    try:
        message = email.message_from_bytes(body, policy=default_policy)
        part = message.get_body(("plain",))
        return str(part.get_content())[:_FULL_TEXT_CHARS] if part is not None else None
    except (LookupError, ValueError, TypeError, AttributeError):
        return None


def _contacts_by_address(session: Session, contacts: list[Contact], addresses: set[str]) -> dict[str, Contact]:
    found = {address: c for c in contacts for address in (c.email.lower(), *(a.lower() for a in c.aliases))}
    missing = {a for a in addresses if a not in found}
    if missing:
        found.update({c.email.lower(): c for c in session.scalars(select(Contact).where(
            func.lower(Contact.email).in_(missing)))})
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def thread_items(session: Session, view: TicketView) -> list[ThreadItem]:
    """The thread for reading, in four queries whatever its length: raw mails' arrival and Date header,
    the outbox rows' kind and text, the writers' contacts."""
    raw_ids = [e.raw_message_id for e in view.entries if e.raw_message_id]
    arrived = dict(session.execute(select(RawMessage.id, func.coalesce(RawMessage.arrived_at, RawMessage.received_at))
                                   .where(RawMessage.id.in_(raw_ids))).all()) if raw_ids else {}
    head = func.substr(RawBlob.raw, 1, _HEADER_BYTES)
    heads: dict[int, bytes] = dict(session.execute(select(RawBlob.raw_message_id, head)
                                    .where(RawBlob.raw_message_id.in_(raw_ids))).all()) if raw_ids else {}
    outbox_ids = [e.outbox_id for e in view.entries if e.outbox_id]
    outbox = {row.id: row for row in session.execute(select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.body)
                                                     .where(OutboxMessage.id.in_(outbox_ids)))} if outbox_ids else {}
    addresses = {e.author.lower() for e in view.entries if e.kind == "inbound" and e.author}
    contacts = _contacts_by_address(session, view.contacts, addresses)
    staff = {s.initials: s.name or s.initials for s in view.staff}
    items = []
    for e in view.entries:
        row = outbox.get(e.outbox_id) if e.outbox_id else None
        kind = row.kind if row is not None else None
        contact = contacts.get((e.author or "").lower()) if e.kind == "inbound" else None
        written = _header_date(heads.get(e.raw_message_id)) if e.raw_message_id else None
        came = _aware((arrived.get(e.raw_message_id) if e.raw_message_id else None) or e.created_at)
        if e.kind == "outbound":
            label = (f"Svar fra {staff.get(e.author or '', e.author)}" if kind == "reply" and e.author != "system"
                     else OUTBOUND_ENTRY.get(kind or "", ENTRY["outbound"]))
            who = staff.get(e.author or "", "") if e.author != "system" else "system"
        else:
            label = ENTRY.get(e.kind, e.kind)
            who = contact.name if contact else staff.get(e.author or "", e.author or "")
        parts = split_reply(e.body_text) if e.kind == "inbound" else ReplyParts(e.body_text.strip(), "", "")
        items.append(ThreadItem(
            e, label, who, e.author if e.kind == "inbound" else None, contact.phone if contact else None, written,
            came, written is not None and abs(came - written) >= NOTICEABLE_DELAY, parts,
            _sent_text(row.body) if row is not None else None, kind in _COLLAPSED, kind))
    return items


def _attachments(session: Session, ticket: int) -> dict[int, list[AttachmentRecord]]:
    result: dict[int, list[AttachmentRecord]] = {}
    for record in session.scalars(select(AttachmentRecord).where(AttachmentRecord.ticket_id == ticket)
                                  .order_by(AttachmentRecord.id)):
        result.setdefault(record.raw_message_id, []).append(record)
    return result


def _sent_attachments(session: Session, outbox_ids: list[int]) -> dict[int, list[OutboxAttachment]]:
    """The files staff attached to the ticket's replies, per outbox row (listed under the reply)."""
    result: dict[int, list[OutboxAttachment]] = {}
    if outbox_ids:
        for record in session.scalars(select(OutboxAttachment).where(OutboxAttachment.outbox_id.in_(outbox_ids))
                                      .order_by(OutboxAttachment.id)):
            result.setdefault(record.outbox_id, []).append(record)
    return result


def ticket_view(session: Session, number: int) -> TicketView | None:
    ticket = session.get(Ticket, number)
    if ticket is None:
        return None
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    contacts = list(session.scalars(select(Contact).where(Contact.customer_id == customer.id)
                                    .order_by(Contact.name))) if customer else []
    customer_devices = list(session.scalars(select(Device).where(Device.customer_id == customer.id)
                                            .order_by(Device.tag))) if customer else []
    linked = list(session.scalars(select(Device).join(TicketDevice, TicketDevice.device_id == Device.id)
                                  .where(TicketDevice.ticket_id == number).order_by(Device.tag)))
    entries = list(session.scalars(select(TicketEntry).where(TicketEntry.ticket_id == number)
                                   .order_by(TicketEntry.created_at, TicketEntry.id)))
    outbox = dict(session.execute(select(OutboxMessage.id, OutboxMessage.status)
                                  .where(OutboxMessage.ticket_id == number)).all())
    decisions = list(session.scalars(select(DecisionLog).where(DecisionLog.ticket_id == number)
                                     .order_by(DecisionLog.id)))
    staff = list(session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.initials)))
    customers = [(row.key, row.name) for row in session.execute(select(Customer.key, Customer.name)
                                                                .order_by(Customer.name))]
    return TicketView(ticket, customer, contacts, customer_devices, linked, entries, _attachments(session, number),
                      outbox, decisions, audit.for_ticket(session, number), staff, customers,
                      _sent_attachments(session, list(outbox)))


def attachment_of(session: Session, ticket: int, attachment_id: int) -> AttachmentRecord | None:
    """The attachment only when it belongs to this ticket: another ticket's id finds nothing."""
    return session.scalar(select(AttachmentRecord).where(AttachmentRecord.id == attachment_id,
                                                         AttachmentRecord.ticket_id == ticket))


def inbound_raw_id(session: Session, ticket: int, entry_id: int) -> int | None:
    """The raw mail behind an inbound entry of this ticket (None for another ticket's entry)."""
    return session.scalar(select(TicketEntry.raw_message_id).where(
        TicketEntry.id == entry_id, TicketEntry.ticket_id == ticket, TicketEntry.kind == "inbound"))

