"""The unknown-sender panel of a ticket: what the forms are prefilled with and who the sender might be.

Read when the ticket page is shown for a ticket whose sender is no known contact: the sender's display
name from the first mail's From header (decoded by the mail parser, encoded words and all), the
registry as the pipeline sees it, and the suggestions of suggest.py over the subject and the mails' text.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.features.customers.create import address_owner
from inbox_worker.features.customers.suggest import Prefill, Suggestions, prefill, suggest
from inbox_worker.mail.parse.headblock import header_end
from inbox_worker.mail.parse.parser import ParseError, parse_mail
from inbox_worker.store.models import Contact, Customer, RawBlob, Ticket, TicketEntry
from inbox_worker.store.repository import load_snapshot

MAX_TEXT = 200_000  # of the mails' text searched for identifiers: a serial is quoted near the top


@dataclass(frozen=True)
class ContactChoice:
    email: str
    name: str


@dataclass(frozen=True)
class CustomerContacts:
    key: str
    name: str
    contacts: tuple[ContactChoice, ...]


@dataclass(frozen=True)
class SenderPanel:
    address: str
    prefill: Prefill
    suggestions: Suggestions
    customers: tuple[CustomerContacts, ...]  # every customer and its contacts, the suggested ones first


def display_name(raw: bytes | None) -> str | None:
    """The From display name of a stored mail, decoded as the pipeline decodes it (headers only)."""
    if not raw:
        return None
    end = header_end(raw[:256 * 1024])
    try:
        return parse_mail(raw[:end] if end else raw[:256 * 1024]).from_name
    except ParseError:
        return None


def needs_panel(session: Session, ticket: Ticket) -> bool:
    """A sender with an address that is nobody's, on a mail not suspected of a forged From."""
    return bool(ticket.from_address and not ticket.contact_email and "spoof-suspected" not in ticket.review
                and address_owner(session, ticket.from_address) is None)


def sender_panel(session: Session, ticket: Ticket, free_mail: Collection[str]) -> SenderPanel | None:
    if not needs_panel(session, ticket):
        return None
    address = str(ticket.from_address)
    inbound = list(session.execute(select(TicketEntry.body_text, TicketEntry.raw_message_id, TicketEntry.author)
                                   .where(TicketEntry.ticket_id == ticket.id, TicketEntry.kind == "inbound")
                                   .order_by(TicketEntry.created_at, TicketEntry.id)))
    text = "\n".join(row.body_text for row in inbound)[:MAX_TEXT]
    first = next((row.raw_message_id for row in inbound if (row.author or "").lower() == address.lower()), None)
    raw = session.scalar(select(RawBlob.raw).where(RawBlob.raw_message_id == first)) if first else None
    registry = load_snapshot(session)
    found = suggest(registry, address, ticket.subject, text, free_mail)
    suggested = {hint.key for hint in found.customers} | {hint.customer for hint in found.devices}
    contacts: dict[int, list[ContactChoice]] = {}
    for contact in session.scalars(select(Contact).order_by(Contact.name)):
        contacts.setdefault(contact.customer_id, []).append(ContactChoice(contact.email, contact.name))
    customers = sorted(session.scalars(select(Customer)), key=lambda c: (c.key not in suggested, c.name))
    filled = prefill(address, display_name(raw), ticket.language, free_mail, set(registry.customers))
    return SenderPanel(address, filled, found, tuple(CustomerContacts(c.key, c.name, tuple(contacts.get(c.id, ())))
                                    for c in customers))
