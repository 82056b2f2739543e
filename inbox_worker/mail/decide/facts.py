"""The facts of one mail that the priority and coverage rule tables test, and the conditions they may use.

Built once per mail, after linking and classification: the agreement as of the mail's date in
MICO's time zone, the contact, the linked device and its owner, the category, the emergency signal,
the visits used. Both tables read the same facts, so they can never disagree about them.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from inbox_worker.domain.agreement import effective_agreement
from inbox_worker.domain.agreement_exceptions import CustomerExceptions
from inbox_worker.domain.rules_engine import Predicate
from inbox_worker.domain.types import (
    Classification,
    ContactInfo,
    CustomerInfo,
    DeviceInfo,
    LinkDecision,
    RegistrySnapshot,
)
from inbox_worker.domain.vocabulary import AGREEMENTS, CATEGORIES, DEVICE_KINDS, PACKAGES, PRIORITIES, SERVER_KINDS
from inbox_worker.errors import UserError


@dataclass(frozen=True)
class MailFacts:
    """Everything the rule tables may test, for one mail."""

    customer: CustomerInfo | None
    agreement: str  # as of the mail's date: active, trial, terminated (in its notice period), none, unknown
    agreement_ended: bool  # the registry says active/trial/terminated, but agreement_end has passed
    contact: ContactInfo | None
    device: DeviceInfo | None  # the first linked device that belongs to this customer
    device_owner: ContactInfo | None
    category: str
    priority: str  # "" until the priority table has decided it (the coverage table may test it)
    visits_used: int  # the customer's other visit tickets opened in the same calendar year
    visits_allowed: int
    exceptions: CustomerExceptions
    year: int  # the calendar year the visits are counted in
    emergency: bool = False
    servers: tuple[DeviceInfo, ...] = ()  # the servers and NAS the matter concerns: the linked ones, else all


def mail_facts(link: LinkDecision, classification: Classification, registry: RegistrySnapshot, on: date,
               visits_this_year: Mapping[str, int], visits_per_year: int, visit_year: int | None = None) -> MailFacts:
    """The facts of one mail: only devices and contacts of the linked customer count, whatever the link found."""
    customer = registry.customers.get(link.customer) if link.customer else None
    contact = registry.contacts_by_address.get(link.contact or "")
    if customer is None or (contact is not None and contact.customer != customer.key):
        contact = None
    own = registry.devices.get(customer.key, ()) if customer else ()
    by_tag = {device.tag: device for device in own}
    linked = [by_tag[tag] for tag in link.devices if tag in by_tag]
    device = linked[0] if linked else None
    owner = registry.contacts_by_address.get((device.user or "").lower()) if device else None
    if owner is not None and customer is not None and owner.customer != customer.key:
        owner = None
    exceptions = CustomerExceptions.parse(customer.exceptions) if customer else CustomerExceptions()
    agreement = effective_agreement(customer.agreement, customer.agreement_end, on) if customer else "unknown"
    ended = customer is not None and agreement == "none" and customer.agreement != "none"
    allowed = exceptions.visits_per_year if exceptions.visits_per_year is not None else visits_per_year
    servers = tuple(d for d in linked if d.kind in SERVER_KINDS) or tuple(d for d in own if d.kind in SERVER_KINDS)
    return MailFacts(
        customer=customer, agreement=agreement, agreement_ended=ended, contact=contact, device=device,
        device_owner=owner, category=classification.category, priority="",
        visits_used=visits_this_year.get(customer.key, 0) if customer else 0, visits_allowed=allowed,
        exceptions=exceptions, year=visit_year or on.year, emergency=classification.emergency, servers=servers)


def _packages(info: ContactInfo | CustomerInfo | DeviceInfo | None) -> frozenset[str]:
    return frozenset(info.packages) if info is not None else frozenset()


def _device(test: Callable[[DeviceInfo, Any], bool]) -> Predicate:
    """A condition about the linked device: never true when no device of this customer is linked."""
    return lambda facts, arg: facts.device is not None and test(facts.device, arg)


PREDICATES: dict[str, Predicate] = {
    "known_customer": lambda f, flag: (f.customer is not None) == flag,
    "customer": lambda f, keys: f.customer is not None and f.customer.key in keys,
    "agreement": lambda f, values: f.agreement in values,
    "agreement_ended": lambda f, flag: f.agreement_ended == flag,
    "customer_has": lambda f, packages: bool(_packages(f.customer) & packages),
    "customer_lacks": lambda f, packages: not _packages(f.customer) & packages,
    "contact_known": lambda f, flag: (f.contact is not None) == flag,
    "contact_has": lambda f, packages: bool(_packages(f.contact) & packages),
    "contact_lacks": lambda f, packages: f.contact is not None and not _packages(f.contact) & packages,
    "device": lambda f, flag: (f.device is not None) == flag,
    "device_kind": _device(lambda d, kinds: d.kind in kinds),
    "device_primary": _device(lambda d, flag: d.primary == flag),
    "device_extra_network": _device(lambda d, flag: d.extra_network == flag),
    "device_has": _device(lambda d, packages: bool(set(d.packages) & packages)),
    "device_lacks": _device(lambda d, packages: not set(d.packages) & packages),
    "device_owner_has": lambda f, packages: f.device is not None and bool(_packages(f.device_owner) & packages),
    "device_owner_lacks": lambda f, packages: f.device is not None and not _packages(f.device_owner) & packages,
    "servers_have": lambda f, packages: bool(f.servers) and all(set(d.packages) & packages for d in f.servers),
    "category": lambda f, values: f.category in values,
    "priority": lambda f, values: f.priority in values,
    "emergency": lambda f, flag: f.emergency == flag,
    "exception_covered_device": lambda f, flag: (
        f.device is not None and f.device.tag.upper() in f.exceptions.covered_devices) == flag,
    "exception_covered_category": lambda f, flag: (f.category in f.exceptions.covered_categories) == flag,
    "visit_included": lambda f, flag: (f.visits_used < f.visits_allowed) == flag,
}
# What each condition's argument may be: True for a flag, a vocabulary for words, None for any words.
_ARGUMENTS: dict[str, tuple[str, ...] | bool | None] = {  # bool: always True
    "known_customer": True, "agreement_ended": True, "contact_known": True, "device": True, "device_primary": True,
    "device_extra_network": True, "exception_covered_device": True, "exception_covered_category": True,
    "visit_included": True, "emergency": True, "customer": None, "agreement": (*AGREEMENTS, "unknown"),
    "category": CATEGORIES, "priority": PRIORITIES, "device_kind": DEVICE_KINDS,
    **dict.fromkeys(("customer_has", "customer_lacks", "contact_has", "contact_lacks", "device_has",
                     "device_lacks", "device_owner_has", "device_owner_lacks", "servers_have"), tuple(PACKAGES)),
}


def condition_argument(label: str, key: str, value: Any) -> Any:
    """A condition's argument checked against its vocabulary; words become a frozenset."""
    allowed = _ARGUMENTS[key]
    if allowed is True:
        if not isinstance(value, bool):
            raise UserError(f"{label}: betingelsen '{key}' tager true eller false")
        return value
    words = [value] if isinstance(value, str) else value
    if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
        raise UserError(f"{label}: betingelsen '{key}' tager et ord eller en liste af ord")
    for word in words:
        if isinstance(allowed, tuple) and word not in allowed:
            raise UserError(f"{label}: betingelsen '{key}': ukendt værdi '{word}' (kendte: {', '.join(allowed)})")
    return frozenset(words)


def _note(facts: MailFacts) -> str:
    found = facts.exceptions
    if facts.device is not None and facts.device.tag.upper() in found.covered_devices:
        return found.note(f"device:{facts.device.tag.upper()}")
    if facts.category in found.covered_categories:
        return found.note(f"category:{facts.category}")
    return found.note("visits") if facts.category == "visit" else ""


# The {placeholders} a rule's reason may use: exactly the values fill_reason fills in.
PLACEHOLDERS = ("customer", "contact", "device", "device_name", "device_kind", "category", "package", "rate",
                "agreement", "agreement_end", "visits_used", "visits_allowed", "visit_number", "year", "note")


def check_placeholders(label: str, template: str) -> None:
    """A rule's reason may use only the placeholders fill_reason knows: one clear line otherwise."""
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None and name not in PLACEHOLDERS:
            raise UserError(f"{label}: ukendt pladsholder '{{{name}}}' i reason (kendte: {', '.join(PLACEHOLDERS)})")


def fill_reason(template: str, facts: MailFacts, package: str | None = None, rate: int = 0) -> str:
    """A rule's reason with its {placeholders} filled in from the facts (rules/README.md lists them)."""
    device, customer, contact = facts.device, facts.customer, facts.contact
    end = customer.agreement_end if customer else None
    values = {
        "customer": customer.name if customer else "ukendt kunde",
        "contact": contact.name if contact else "afsenderen",
        "device": device.tag if device else "(ingen enhed)", "device_name": device.name if device else "",
        "device_kind": device.kind if device else "", "category": facts.category, "package": package or "–",
        "rate": str(rate), "agreement": facts.agreement, "agreement_end": end.strftime("%d.%m.%Y") if end else "",
        "visits_used": str(facts.visits_used), "visits_allowed": str(facts.visits_allowed),
        "visit_number": str(facts.visits_used + 1), "year": str(facts.year), "note": _note(facts),
    }
    return " ".join(template.format_map(values).split())


def facts_summary(facts: MailFacts) -> dict[str, object]:
    """The facts the rules saw, for `explain`."""
    return {
        "agreement": facts.agreement, "category": facts.category, "priority": facts.priority,
        "customer_packages": sorted(facts.customer.packages) if facts.customer else [],
        "contact_packages": sorted(facts.contact.packages) if facts.contact else None,
        "device": facts.device.tag if facts.device else None,
        "device_packages": sorted(facts.device.packages) if facts.device else None,
        "visits_used": facts.visits_used, "visits_allowed": facts.visits_allowed,
    }
