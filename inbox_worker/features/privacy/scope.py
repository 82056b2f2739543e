"""Whom a privacy export is about: one person (a contact with every address of theirs, or an address that is
nobody's contact but sent mail) or one customer (the customer, all its contacts and all its tickets)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inbox_worker.domain.addresses import is_safe_address
from inbox_worker.errors import UserError
from inbox_worker.features.privacy import mails
from inbox_worker.store import access_log
from inbox_worker.store.models import Contact, Customer, Ticket


class ScopeKind(StrEnum):
    PERSON = "person"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    customer: Customer | None  # the person's customer (None for an address without a contact)
    contacts: tuple[Contact, ...]  # the person (one, or none), or every contact of the customer
    addresses: frozenset[str]  # lower case: every address the person (or the customer's people) writes from
    domains: frozenset[str] = frozenset()  # customer: mail from these domains is the customer's
    asked: str = ""  # the address asked for (a person without a contact)
    first_mail: int | None = None  # a person without a contact: the first stored mail from the address

    @property
    def contact(self) -> Contact | None:
        return self.contacts[0] if self.kind == ScopeKind.PERSON and self.contacts else None

    @property
    def what(self) -> str:
        """The access log's and audit log's name for what was exported: record ids, never an address."""
        if self.kind == ScopeKind.CUSTOMER:
            assert self.customer is not None
            return access_log.customer_scope(self.customer.key)
        if self.contact is not None:
            return access_log.person_scope(self.contact.id)
        return f"person without contact (mail #{self.first_mail})" if self.first_mail else "person without contact"

    @property
    def slug(self) -> str:
        """For the default file name: the customer key, or the person's address made file-name safe."""
        base = self.customer.key if self.kind == ScopeKind.CUSTOMER and self.customer else \
            self.contact.email if self.contact is not None else self.asked
        return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:80] or "person"

    @property
    def title(self) -> str:
        """Who, for people (Danish): 'Lone Sørensen <lone@…>', 'Bageriet Sørensen ApS (bageriet)'."""
        if self.kind == ScopeKind.CUSTOMER:
            assert self.customer is not None
            return f"{self.customer.name} ({self.customer.key})"
        if self.contact is not None:
            return f"{self.contact.name} <{self.contact.email}>"
        return self.asked

    def customer_id(self) -> int | None:
        return self.customer.id if self.customer is not None else None


def addresses_of(contact: Contact) -> frozenset[str]:
    """The contact's address and all its aliases, from the registry file and added by staff, in lower case."""
    return frozenset(a.strip().lower() for a in (contact.email, *contact.aliases, *contact.staff_aliases) if a)


def _owner(session: Session, address: str) -> Contact | None:
    found = session.scalar(select(Contact).where(func.lower(Contact.email) == address))
    if found is not None:
        return found
    return next((c for c in session.scalars(select(Contact).order_by(Contact.id)) if address in addresses_of(c)), None)


def person_of(session: Session, contact: Contact) -> Scope:
    customer = session.get(Customer, contact.customer_id)
    return Scope(ScopeKind.PERSON, customer, (contact,), addresses_of(contact))


def person(session: Session, address: str) -> Scope:
    """The person who writes from `address`: its contact (by address or alias), else the address on its own when
    mail came from it; nobody's address with no mail is refused (one Danish line)."""
    address = address.strip().lower()
    if not is_safe_address(address):
        raise UserError(f"privacy export: '{address}' er ikke en mailadresse")
    contact = _owner(session, address)
    if contact is not None:
        return person_of(session, contact)
    found = mails.sent_by(session, frozenset({address}))
    if not found and session.scalar(select(Ticket.id).where(or_(func.lower(Ticket.from_address) == address,
                                                               func.lower(Ticket.contact_email) == address))
                                    .limit(1)) is None:
        raise UserError(f"privacy export: ingen kontakt, intet alias og ingen mail med adressen {address}")
    return Scope(ScopeKind.PERSON, None, (), frozenset({address}), asked=address,
                 first_mail=min(found) if found else None)


def customer(session: Session, key: str) -> Scope:
    found = session.scalar(select(Customer).where(func.lower(Customer.key) == key.strip().lower()))
    if found is None:
        raise UserError(f"privacy export: ingen kunde med nøglen '{key}'")
    contacts = tuple(session.scalars(select(Contact).where(Contact.customer_id == found.id).order_by(Contact.id)))
    addresses = frozenset(a for c in contacts for a in addresses_of(c))
    return Scope(ScopeKind.CUSTOMER, found, contacts, addresses,
                 frozenset(d.strip().lower() for d in found.domains if d))
