"""Who wrote: the From address -> contact -> customer, against a registry snapshot. Pure."""

from __future__ import annotations

from pathlib import Path

from ..rules_engine import load_free_mail_domains
from ..workitem import LinkDecision, ParsedMail, RegistrySnapshot, Trace


class LinkRules:
    def __init__(self, free_mail_domains: frozenset[str]) -> None:
        self.free_mail_domains = free_mail_domains

    @classmethod
    def load(cls, rules_dir: Path) -> LinkRules:
        return cls(load_free_mail_domains(rules_dir / "freemail.toml"))


def decide_link(mail: ParsedMail, registry: RegistrySnapshot, rules: LinkRules, trace: Trace) -> LinkDecision:
    """Link by exact contact address or alias, else by the customer's domain (never a free-mail domain)."""
    address = mail.from_address or ""
    contact = registry.contacts_by_address.get(address)
    if contact is not None:
        via = "e-mailadresse" if address == contact.email else "alias"
        trace.add("link", "contact-address", contact.customer,
                  f"Afsenderen {address} er kontaktpersonen {contact.name} ({via}) hos {contact.customer}")
        return LinkDecision(contact.customer, contact.email, (), ())
    domain = address.rpartition("@")[2]
    if domain in rules.free_mail_domains:
        trace.add("link", "free-mail-domain", "unknown",
                  f"{domain} er et gratis maildomæne og kobles aldrig til en kunde på domænet alene")
        return LinkDecision(None, None, (), ("unknown-sender",))
    customer = registry.customer_by_domain.get(domain)
    if customer is not None:
        trace.add("link", "customer-domain", customer,
                  f"Domænet {domain} tilhører kunden {customer}; afsenderen er ikke en kendt kontakt")
        return LinkDecision(customer, None, (), ("unknown-contact",))
    trace.add("link", "unknown-sender", "unknown", f"Hverken adressen {address or '(ingen)'} eller domænet er kendt")
    return LinkDecision(None, None, (), ("unknown-sender",))
