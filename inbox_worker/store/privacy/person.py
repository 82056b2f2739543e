"""Who a privacy request is about: the contact with that address or alias, or an unknown sender's address.

A contact brings every address it writes from (its address and aliases), its name and phone number. An
address that is nobody's contact is still a person when mail from it is stored (an unknown sender).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import Contact, Customer, Ticket
from inbox_worker.store.privacy.records import not_erased


@dataclass(frozen=True)
class Person:
    asked: str  # the address given
    addresses: tuple[str, ...]  # lower case, the contact's own first
    contact_id: int | None = None
    customer_id: int | None = None
    name: str | None = None
    phone: str | None = None
    packages: tuple[str, ...] = ()  # the contact's packages: the invoice basis counts them


def is_theirs(column: Any, addresses: tuple[str, ...]) -> ColumnElement[bool]:
    """`column` holds one of `addresses`, in any case and with any subaddress ("lone+faktura@…" is lone@…'s
    mailbox: mail from it is theirs, and mail to it goes to them)."""
    lowered = func.lower(column)
    tagged = []
    for address in addresses:
        local, at, domain = address.rpartition("@")
        if at and local:
            tagged.append(lowered.like(_like(local) + "+%@" + _like(domain), escape="\\"))
    return or_(lowered.in_(list(addresses)), *tagged)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lowered(values: object) -> list[str]:
    return [str(v).strip().lower() for v in values or [] if str(v).strip()] if isinstance(values, list) else []


def _contact_of(session: Session, address: str) -> Contact | None:
    exact = session.scalar(select(Contact).where(func.lower(Contact.email) == address))
    if exact is not None:
        return exact
    # Aliases are a JSON list: a registry holds some thousands of contacts, read in one go.
    return next((c for c in session.scalars(select(Contact).order_by(Contact.id))
                 if address in _lowered(c.aliases) or address in _lowered(c.staff_aliases)), None)


def person_of(session: Session, address: str) -> Person:
    """The person `address` belongs to (a contact, or the address alone); whether anything is held about an
    address alone is for the holdings to say."""
    lowered = address.strip().lower()
    contact = _contact_of(session, lowered)
    if contact is None:
        return Person(lowered, (lowered,))
    addresses = tuple(dict.fromkeys([contact.email.lower(), *_lowered(contact.aliases),
                                     *_lowered(contact.staff_aliases)]))
    return Person(lowered, addresses, contact.id, contact.customer_id, contact.name or None, contact.phone or None,
                  tuple(contact.packages or ()))


def people_of_customer(session: Session, customer: Customer, own_domains: frozenset[str]) -> list[Person]:
    """Everyone a customer's data is about: its contacts, and each other address its tickets were written
    from or to (unknown senders, staff-made links), MICO's own addresses left out."""
    people = [person_of(session, contact.email) for contact in
              session.scalars(select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id))]
    known = {address for person in people for address in person.addresses}
    rows = session.execute(select(Ticket.from_address, Ticket.contact_email)
                           .where(Ticket.customer_id == customer.id, not_erased()))
    for values in rows:
        for value in values:
            address = (value or "").strip().lower()
            if "@" in address and address not in known and address.rpartition("@")[2] not in own_domains:
                known.add(address)
                person = person_of(session, address)
                # Another customer's contact on a ticket linked here: the ticket goes with this customer, the
                # other customer's registry record stays.
                people.append(person if person.customer_id in (None, customer.id) else Person(address, (address,)))
    return people


def customer_by_key(session: Session, key: str) -> Customer | None:
    return session.scalar(select(Customer).where(or_(Customer.key == key, func.lower(Customer.key) == key.lower())))
