"""Staff add to the registry from the web UI: a customer, or a contact of one; each checked and audited.

Rows made here carry origin "staff", so `registry import` keeps them (store/registry_import.py). The
caller's transaction holds the change; linking the ticket to the result is the ticket feature's
(features/tickets/edit.link_customer), run by the web action in the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.addresses import is_safe_address
from inbox_worker.domain.vocabulary import LANGUAGES
from inbox_worker.errors import UserError
from inbox_worker.features.customers.suggest import KEY_PATTERN
from inbox_worker.store import audit
from inbox_worker.store.models import Contact, Customer
from inbox_worker.store.registry_import import STAFF

_DOMAIN = re.compile(r"^(?=.{4,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
NO_AGREEMENT = "none"  # a customer made from a ticket has no agreement until the registry file says otherwise


def _name(value: str, whose: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise UserError(f"Skriv {whose} navn")
    if len(text) > 200:
        raise UserError(f"{whose.capitalize()} navn er for langt (højst 200 tegn)")
    return text


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise UserError(f"Sproget skal være et af {', '.join(LANGUAGES)}")
    return value


def address_owner(session: Session, address: str) -> Contact | None:
    """The contact that has this address as its email or as an alias."""
    address = address.lower()
    found = session.scalar(select(Contact).where(Contact.email == address))
    if found is not None:
        return found
    return next((c for c in session.scalars(select(Contact)) if address in (a.lower() for a in c.aliases)), None)


def create_customer(session: Session, key: str, name: str, domain: str, language: str, actor: str, now: datetime,
                    ticket: int | None = None) -> Customer:
    """A new customer without agreement or packages, with one domain (or none: a private person)."""
    key, domain = key.strip().lower(), domain.strip().lower()
    if not KEY_PATTERN.match(key):
        raise UserError("Kundenøglen må kun have små bogstaver a–z, tal og bindestreger (2–64 tegn)")
    if session.scalar(select(Customer.id).where(Customer.key == key)) is not None:
        raise UserError(f"Kundenøglen '{key}' findes allerede")
    if domain and not _DOMAIN.match(domain):
        raise UserError(f"'{domain}' er ikke et domænenavn")
    if domain:
        owner = next((c for c in session.scalars(select(Customer)) if domain in c.domains), None)
        if owner is not None:
            raise UserError(f"Domænet {domain} tilhører allerede kunden {owner.name}")
    customer = Customer(key=key, name=_name(name, "kundens"), domains=[domain] if domain else [],
                        agreement=NO_AGREEMENT, agreement_end=None, packages=[], contact_person=None,
                        account_manager=None, language=_language(language), exceptions=[], origin=STAFF)
    session.add(customer)
    session.flush()
    audit.record(session, actor, "create-customer", now, ticket=ticket, customer=customer.id, key=key,
                 name=customer.name, domain=domain or None)
    return customer


def add_contact(session: Session, customer_key: str, email: str, name: str, language: str, actor: str,
                now: datetime, ticket: int | None = None) -> Contact:
    """A new contact of the customer; its address must not already be anyone's email or alias."""
    customer = session.scalar(select(Customer).where(Customer.key == customer_key))
    if customer is None:
        raise UserError("Ukendt kunde")
    email = email.strip().lower()
    if not is_safe_address(email):
        raise UserError("Kontaktens mailadresse er ikke gyldig")
    owner = address_owner(session, email)
    if owner is not None:
        raise UserError(f"{email} tilhører allerede kontakten {owner.name} <{owner.email}>")
    contact = Contact(customer_id=customer.id, email=email, aliases=[], name=_name(name, "kontaktens"), phone=None,
                      packages=[], language=_language(language), origin=STAFF, staff_aliases=[])
    session.add(contact)
    session.flush()
    audit.record(session, actor, "create-contact", now, ticket=ticket, customer=customer.id, email=email,
                 name=contact.name)
    return contact
