"""What the ticket page shows, read in a fixed handful of queries (no query per thread entry)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.store import audit
from inbox_worker.store.models import (
    AttachmentRecord,
    AuditEntry,
    Contact,
    Customer,
    DecisionLog,
    Device,
    OutboxMessage,
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


def _attachments(session: Session, ticket: int) -> dict[int, list[AttachmentRecord]]:
    result: dict[int, list[AttachmentRecord]] = {}
    for record in session.scalars(select(AttachmentRecord).where(AttachmentRecord.ticket_id == ticket)
                                  .order_by(AttachmentRecord.id)):
        result.setdefault(record.raw_message_id, []).append(record)
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
                      outbox, decisions, audit.for_ticket(session, number), staff, customers)


def attachment_of(session: Session, ticket: int, attachment_id: int) -> AttachmentRecord | None:
    """The attachment only when it belongs to this ticket: another ticket's id finds nothing."""
    return session.scalar(select(AttachmentRecord).where(AttachmentRecord.id == attachment_id,
                                                         AttachmentRecord.ticket_id == ticket))


def inbound_raw_id(session: Session, ticket: int, entry_id: int) -> int | None:
    """The raw mail behind an inbound entry of this ticket (None for another ticket's entry)."""
    return session.scalar(select(TicketEntry.raw_message_id).where(
        TicketEntry.id == entry_id, TicketEntry.ticket_id == ticket, TicketEntry.kind == "inbound"))

