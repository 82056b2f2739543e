"""Staff changes to one ticket (link, devices, category, priority, status, assignee, note), each audited.

Every function takes the ticket row in the caller's transaction, checks its input, changes the
ticket, and writes one audit entry. Refused input raises ActionError with a Danish message for staff.
A status or priority change moves the response-time clocks too (clocks.py); the audit entry names how.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from inbox_worker.domain.types import TicketStatus
from inbox_worker.domain.vocabulary import CATEGORIES, PRIORITIES
from inbox_worker.features.tickets import clocks as clock_events
from inbox_worker.features.tickets.clocks import ClockSetup
from inbox_worker.store import audit
from inbox_worker.store.models import Contact, Customer, Device, Staff, Ticket, TicketDevice, TicketEntry
from inbox_worker.store.queue_columns import sort_columns

STATUSES = tuple(status.value for status in TicketStatus)
_LINK_FLAGS = ("unknown-sender", "unknown-contact", "spoof-suspected")


class ActionError(Exception):
    """A staff action refused, with the reason in Danish."""


def refresh_sort(ticket: Ticket) -> None:
    """Recompute the queue's sort columns after review, priority or coverage changed."""
    for name, value in sort_columns(ticket.review, ticket.priority, ticket.coverage).items():
        setattr(ticket, name, value)


def _alias_owner(session: Session, address: str) -> Contact | None:
    for contact in session.scalars(select(Contact)):
        if address in (contact.email.lower(), *(a.lower() for a in contact.aliases)):
            return contact
    return None


def _add_alias(session: Session, contact: Contact, address: str) -> bool:
    address = address.lower()
    owner = _alias_owner(session, address)
    if owner is not None and owner.id != contact.id:
        raise ActionError(f"{address} tilhører allerede kontakten {owner.email}")
    if owner is not None:
        return False
    contact.aliases = [*contact.aliases, address]
    # staff-made: the next `registry import` keeps it beside the file's aliases (store/registry_import.py)
    contact.staff_aliases = [*(contact.staff_aliases or []), address]
    return True


def link_customer(session: Session, ticket: Ticket, customer_key: str, contact_email: str | None, add_alias: bool,
                  actor: str, now: datetime) -> None:
    customer = session.scalar(select(Customer).where(Customer.key == customer_key))
    if customer is None:
        raise ActionError("Ukendt kunde")
    contact = None
    if contact_email:
        contact = session.scalar(select(Contact).where(Contact.email == contact_email,
                                                       Contact.customer_id == customer.id))
        if contact is None:
            raise ActionError("Kontakten hører ikke til kunden")
    alias_added = bool(contact and add_alias and ticket.from_address
                       and _add_alias(session, contact, ticket.from_address))
    before = {"customer_id": ticket.customer_id, "contact": ticket.contact_email}
    ticket.customer_id, ticket.contact_email = customer.id, contact.email if contact else None
    ticket.review = [flag for flag in ticket.review if flag not in _LINK_FLAGS]
    if ticket.assignee is None:
        ticket.assignee = customer.account_manager
    refresh_sort(ticket)
    audit.record(session, actor, "link-customer", now, ticket=ticket.id, customer=customer.id, before=before,
                 customer_key=customer.key, contact=ticket.contact_email,
                 alias_added=ticket.from_address if alias_added else None)


def _device(session: Session, ticket: Ticket, tag: str) -> Device:
    device = session.scalar(select(Device).where(Device.tag == tag))
    if device is None or device.customer_id != ticket.customer_id:
        raise ActionError("Enheden hører ikke til sagens kunde")
    return device


def link_device(session: Session, ticket: Ticket, tag: str, actor: str, now: datetime) -> None:
    device = _device(session, ticket, tag)
    if session.get(TicketDevice, (ticket.id, device.id)) is None:
        session.add(TicketDevice(ticket_id=ticket.id, device_id=device.id))
        audit.record(session, actor, "link-device", now, ticket=ticket.id, device=tag)


def unlink_device(session: Session, ticket: Ticket, tag: str, actor: str, now: datetime) -> None:
    device = _device(session, ticket, tag)
    session.execute(delete(TicketDevice).where(TicketDevice.ticket_id == ticket.id,
                                               TicketDevice.device_id == device.id))
    audit.record(session, actor, "unlink-device", now, ticket=ticket.id, device=tag)


def set_field(session: Session, ticket: Ticket, field: str, value: str, actor: str, now: datetime,
              clocks: ClockSetup) -> None:
    """Category, priority or status: one of the allowed values (status and priority move the clocks)."""
    allowed = {"category": CATEGORIES, "priority": PRIORITIES, "status": STATUSES}.get(field, ())
    if value not in allowed:
        raise ActionError("Ugyldig værdi")
    before = getattr(ticket, field)
    if before == value:
        return
    setattr(ticket, field, value)
    moved = []
    if field == "status":
        ticket.closed_at = now if value == TicketStatus.CLOSED else None
        moved = clock_events.status_changed(session, ticket, before, value, clocks, actor, now)
    elif field == "priority":
        recomputed = clock_events.priority_changed(session, ticket, clocks, actor, now)
        moved = [recomputed] if recomputed else []
    refresh_sort(ticket)
    audit.record(session, actor, f"set-{field}", now, ticket=ticket.id, before=before, after=value,
                 clock=[change.event.value for change in moved])


def assign(session: Session, ticket: Ticket, initials: str | None, actor: str, now: datetime) -> None:
    if initials and session.scalar(select(Staff.id).where(Staff.initials == initials,
                                                          Staff.active.is_(True))) is None:
        raise ActionError("Ukendt medarbejder")
    before, ticket.assignee = ticket.assignee, initials or None
    audit.record(session, actor, "assign", now, ticket=ticket.id, before=before, after=ticket.assignee)


def add_note(session: Session, ticket: Ticket, text: str, actor: str, now: datetime) -> None:
    text = text.strip()
    if not text:
        raise ActionError("Notatet er tomt")
    session.add(TicketEntry(ticket_id=ticket.id, kind="note", author=actor, subject=None, body_text=text[:100_000],
                            created_at=now))
    audit.record(session, actor, "note", now, ticket=ticket.id, length=len(text))


def mark_reviewed(session: Session, ticket: Ticket, actor: str, now: datetime) -> None:
    """Staff have looked: the review flags are cleared and the ticket leaves the top of the queue."""
    before, ticket.review = list(ticket.review), []
    refresh_sort(ticket)
    audit.record(session, actor, "reviewed", now, ticket=ticket.id, cleared=before)
