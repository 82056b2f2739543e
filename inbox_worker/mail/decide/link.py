"""Who wrote, and about which devices: From -> contact -> customer -> devices, against a registry snapshot. Pure.

The From address is the only sender we believe (never Reply-To), and only when the receiving
server did not flag it as forged. A colleague's forward is linked by the original sender inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from inbox_worker.domain.types import DeviceInfo, LinkDecision, ParsedMail, RegistrySnapshot, Trace
from inbox_worker.mail.decide import devices as device_link
from inbox_worker.mail.decide.classify_rules import DeviceKindRules
from inbox_worker.mail.decide.spoof import auth_verdict


@dataclass(frozen=True)
class LinkRules:
    free_mail_domains: frozenset[str]  # rules/freemail.toml
    device_kinds: DeviceKindRules  # rules/devices.toml


@dataclass(frozen=True)
class LinkParams:
    staff_domains: frozenset[str]  # mail from these is MICO's own people (their forwards link by the original)
    trusted_auth_server: str  # authserv-id of our receiving server's Authentication-Results; "" = the topmost


_index_cache: tuple[RegistrySnapshot, dict[str, tuple[DeviceInfo, str]]] | None = None


def _device_index(registry: RegistrySnapshot) -> dict[str, tuple[DeviceInfo, str]]:
    global _index_cache
    if _index_cache is None or _index_cache[0] is not registry:
        _index_cache = (registry, device_link.device_index(registry))
    return _index_cache[1]


# The parser's note when From had no address and the sender was read from another header.
_SENDER_FALLBACK = {"FromAddressFromSender": "Sender", "FromAddressFromReturnPath": "Return-Path"}


def _sender(mail: ParsedMail, params: LinkParams, trace: Trace) -> tuple[str, bool]:
    address = mail.from_address or ""
    for note, header in _SENDER_FALLBACK.items():
        if note in mail.defects:
            trace.add("link", "sender-from-" + header.lower(), address,
                      f"From-feltet har ingen adresse; afsenderen {address} er læst fra {header}-feltet")
    forwarded = mail.forwarded
    staff_forward = (forwarded is not None and address.rpartition("@")[2] in params.staff_domains
                     and forwarded.from_address.rpartition("@")[2] not in params.staff_domains)
    if staff_forward and forwarded is not None:
        trace.add("link", "forwarded-by-staff", forwarded.from_address,
                  f"{address} har videresendt en mail fra {forwarded.from_address}: "
                  "den kobles til den oprindelige afsender")
        return forwarded.from_address, True
    return address, False


def decide_sender(mail: ParsedMail, registry: RegistrySnapshot, rules: LinkRules, params: LinkParams,
                  trace: Trace) -> LinkDecision:
    """Link by exact contact address or alias, else by the customer's domain (never a free-mail domain)."""
    verdict = auth_verdict(mail.headers.get("authentication-results", ()), params.trusted_auth_server,
                           mail.from_address)
    if verdict is not None:
        trace.add("link", verdict.rule, "spoof" if verdict.suspect else "trusted", verdict.reason)
        if verdict.suspect:
            return LinkDecision(None, None, (), ("spoof-suspected",))
    address, via_forward = _sender(mail, params, trace)
    contact = registry.contacts_by_address.get(address)
    if contact is not None:
        via = "e-mailadresse" if address == contact.email else "alias"
        trace.add("link", "contact-address", contact.customer,
                  f"Afsenderen {address} er kontaktpersonen {contact.name} ({via}) hos {contact.customer}")
        return LinkDecision(contact.customer, contact.email, (), (), via_forward)
    domain = address.rpartition("@")[2]
    if domain in rules.free_mail_domains:
        trace.add("link", "free-mail-domain", "unknown",
                  f"{domain} er et gratis maildomæne og kobles aldrig til en kunde på domænet alene")
        return LinkDecision(None, None, (), ("unknown-sender",), via_forward)
    customer = registry.customer_by_domain.get(domain)
    if customer is not None:
        trace.add("link", "customer-domain", customer,
                  f"Domænet {domain} tilhører kunden {customer}; afsenderen er ikke en kendt kontakt")
        return LinkDecision(customer, None, (), ("unknown-contact",), via_forward)
    trace.add("link", "unknown-sender", "unknown", f"Hverken adressen {address or '(ingen)'} eller domænet er kendt")
    return LinkDecision(None, None, (), ("unknown-sender",), via_forward)


def decide_devices(link: LinkDecision, subject: str, text: str, registry: RegistrySnapshot, rules: LinkRules,
                   trace: Trace) -> LinkDecision:
    """Devices named by identifier, else by kind; only ever the linked customer's own."""
    if link.customer is None:
        return link
    words = f"{subject}\n{text}"
    found = device_link.by_identifier(device_link.identifier_tokens(words), link.customer,
                                      _device_index(registry), trace)
    if found:
        return replace(link, devices=tuple(found))
    found = device_link.by_kind(words, link.customer, link.contact, registry, rules.device_kinds, trace)
    return replace(link, devices=tuple(found), kind_linked=tuple(found)) if found else link


def settle_devices(link: LinkDecision, category: str, registry: RegistrySnapshot, rules: LinkRules,
                   category_of_kind: dict[str, str], trace: Trace) -> LinkDecision:
    """Once the category is known: a question in general keeps no device linked by kind alone; of
    several kinds named in passing, those of the mail's category stay; and a computer problem that
    named no device concerns the contact's primary computer."""
    if link.kind_linked and category in rules.device_kinds.general_categories:
        trace.add("devices", "device-kind-general", "none",
                  f"En henvendelse om {category} taler om {', '.join(link.kind_linked)}s slags i almindelighed: "
                  "ingen enhed kobles på slags alene")
        link = replace(link, devices=(), kind_linked=())
    if len(link.kind_linked) > 1:
        kinds = {d.tag: d.kind for d in registry.devices.get(link.customer or "", ())}
        fitting = tuple(t for t in link.kind_linked if category_of_kind.get(kinds.get(t, "")) == category)
        if fitting and len(fitting) < len(link.kind_linked):
            dropped = [t for t in link.kind_linked if t not in fitting]
            trace.add("devices", "device-kind-off-topic", ", ".join(fitting),
                      f"Mailen handler om {category}: {', '.join(dropped)} er kun nævnt i forbifarten og kobles ikke")
            link = replace(link, devices=tuple(t for t in link.devices if t not in dropped), kind_linked=fitting)
    if link.customer is None or link.devices or category != "computer":
        return link
    tag = device_link.primary_computer(link.customer, link.contact, registry, trace)
    return replace(link, devices=(tag,)) if tag else link
