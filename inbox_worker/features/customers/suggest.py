"""Who an unknown sender might be: customers by the sender's domain, devices by an identifier the mail quotes. Pure.

A mail from a new address at a customer's domain (or a parent or sub-domain of it) suggests that customer;
a vendor's service notification quoting a printer's serial suggests the printer, and so its customer and
user. The device detection is the pipeline's own (mail/decide/devices.py), run over every customer's
devices instead of the linked customer's: the same tokens, the same identifiers, one definition.
Also what the forms are prefilled with: the customer's key, name and domain, the contact's name.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from inbox_worker.domain.types import RegistrySnapshot
from inbox_worker.mail.decide.devices import device_index, identifier_tokens

_KEY_CHARACTERS = re.compile(r"[^a-z0-9]+")
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "ue", "ö": "oe", "ä": "ae"})
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")  # what create.py accepts as a new customer's key


@dataclass(frozen=True)
class CustomerHint:
    key: str
    name: str
    why: str  # Danish, for the panel


@dataclass(frozen=True)
class DeviceHint:
    customer: str
    customer_name: str
    tag: str
    name: str
    kind: str
    user: str | None  # the device's user (a contact's address), if the registry names one
    user_name: str | None
    why: str


@dataclass(frozen=True)
class Suggestions:
    customers: tuple[CustomerHint, ...]
    devices: tuple[DeviceHint, ...]


@dataclass(frozen=True)
class Prefill:
    """The values the unknown-sender forms start with; staff may change every one."""

    email: str
    name: str  # the contact's: the From display name, else the address's local part
    language: str
    key: str  # the new customer's
    customer_name: str
    domain: str  # empty for a free-mail address (gmail.com is nobody's domain)


def domain_of(address: str | None) -> str:
    return (address or "").rpartition("@")[2].strip().lower()


def _domain_relation(sender: str, registered: str) -> str | None:
    if sender == registered:
        return f"Domænet {sender} er kundens"
    if sender.endswith("." + registered):
        return f"{sender} er et underdomæne af kundens {registered}"
    if registered.endswith("." + sender):
        return f"Kundens domæne {registered} er et underdomæne af {sender}"
    return None


def by_domain(registry: RegistrySnapshot, address: str | None, free_mail: Collection[str]) -> list[CustomerHint]:
    """The customers whose domain is the sender's, a parent of it or a sub-domain of it (never a free-mail one)."""
    domain = domain_of(address)
    if not domain or "." not in domain or domain in free_mail:
        return []
    hints = []
    for customer in sorted(registry.customers.values(), key=lambda c: c.name):
        reasons = [why for registered in customer.domains if (why := _domain_relation(domain, registered.lower()))]
        if reasons:
            hints.append(CustomerHint(customer.key, customer.name, reasons[0]))
    return hints


def by_identifier(registry: RegistrySnapshot, subject: str, text: str) -> list[DeviceHint]:
    """Every registered device whose serial, hostname or tag the subject or text quotes, of any customer."""
    index = device_index(registry)
    hints: list[DeviceHint] = []
    for token in sorted(identifier_tokens(f"{subject}\n{text}") & index.keys()):
        device, label = index[token]
        if any(hint.tag == device.tag for hint in hints):
            continue
        customer = registry.customers.get(device.customer)
        user = registry.contacts_by_address.get((device.user or "").lower())
        hints.append(DeviceHint(device.customer, customer.name if customer else device.customer, device.tag,
                                device.name, device.kind, device.user, user.name if user else None,
                                f"Mailen nævner {label} '{token}' for {device.tag} ({device.name})"))
    return hints


def suggest(registry: RegistrySnapshot, address: str | None, subject: str, text: str,
            free_mail: Collection[str]) -> Suggestions:
    return Suggestions(tuple(by_domain(registry, address, free_mail)), tuple(by_identifier(registry, subject, text)))


def key_of(text: str) -> str:
    """A customer key from a name or domain label: lower case, æøå spelled out, dashes between words."""
    return _KEY_CHARACTERS.sub("-", text.lower().translate(_DANISH)).strip("-")[:64].strip("-")


def _free_key(base: str, taken: Collection[str]) -> str:
    if not base or base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def prefill(address: str | None, display_name: str | None, language: str, free_mail: Collection[str],
            taken_keys: Collection[str]) -> Prefill:
    address = (address or "").strip().lower()
    local, domain = address.rpartition("@")[0], domain_of(address)
    name = " ".join((display_name or "").split())[:200] or local
    if domain in free_mail or "." not in domain:
        # A private address: the customer is the person, and has no domain of its own.
        return Prefill(address, name, language, _free_key(key_of(name), taken_keys), name, "")
    label = domain.split(".")[-2]  # nordbyg in mail.nordbyg.dk: the name the domain was registered for
    return Prefill(address, name, language, _free_key(key_of(label), taken_keys), label.capitalize(), domain)
