"""Which of the linked customer's devices a mail is about. Pure.

In order: an asset tag, hostname or serial written in the subject or new text; else a device kind
named in the text where the customer (for personal kinds: the writing contact) has exactly one
device of that kind; else, for a personal-computer problem, the contact's primary computer.
Only the customer's own devices are candidates; ambiguity links nothing and says so in the trace.
"""

from __future__ import annotations

import re

from inbox_worker.domain.labels import device_kind
from inbox_worker.domain.types import DeviceInfo, RegistrySnapshot, Trace
from inbox_worker.mail.decide.classify_rules import DeviceKindRules, KindVocabulary
from inbox_worker.mail.decide.terms import words_of

# Endings that make a device word plural (printere, computerne, telefoner, phones): "the computers"
# names no single device. Exact terms (`=bærbare`) are taken as written.
_PLURAL_ENDINGS = frozenset({"e", "er", "ere", "erne", "ne", "s", "es"})
_IDENT_TOKEN = re.compile(r"[0-9a-zæøå](?:[0-9a-zæøå_.\-]*[0-9a-zæøå])?")


def identifier_tokens(text: str) -> set[str]:
    """Lower-cased tokens that may be a tag, hostname or serial, with dotted names also split (pc-01.local)."""
    tokens: set[str] = set()
    for token in _IDENT_TOKEN.findall(text.lower()):
        tokens.add(token)
        if "." in token:
            tokens.update(part for part in token.split(".") if part)
    return tokens


def device_index(registry: RegistrySnapshot) -> dict[str, tuple[DeviceInfo, str]]:
    """Every tag, hostname and serial (lower-cased) -> the device and which identifier it is."""
    index: dict[str, tuple[DeviceInfo, str]] = {}
    for devices in registry.devices.values():
        for device in devices:
            for label, value in (("serienummer", device.serial), ("værtsnavn", device.hostname), ("tag", device.tag)):
                if value and len(value) >= 3:
                    index[value.lower()] = (device, label)
    return index


def by_identifier(tokens: set[str], customer: str, index: dict[str, tuple[DeviceInfo, str]],
                  trace: Trace) -> list[str]:
    found: list[str] = []
    for token in sorted(tokens & index.keys()):
        device, label = index[token]
        if device.customer != customer:
            trace.add("devices", "device-other-customer", "not-linked",
                      f"{device.tag} nævnes, men tilhører en anden kunde ({device.customer}) og kobles ikke")
            continue
        if device.tag not in found:
            found.append(device.tag)
            trace.add("devices", "device-identifier", device.tag,
                      f"Mailen nævner {label} '{token}' for {device.tag} ({device.name})", matched=[token])
    return found


_NAME_STOP = frozenset({"the", "and", "til", "med", "for", "den", "det", "der", "som"})


def _person_words(registry: RegistrySnapshot, customer: str) -> frozenset[str]:
    """The customer's people's names: "Lones telefon" tells whose, not which, when Lone signs the mail."""
    return frozenset(w for c in registry.contacts_by_address.values() if c.customer == customer
                     for w in words_of(c.name))


def _by_name(candidates: list[DeviceInfo], words: list[str], kind_terms: list[str],
             people: frozenset[str]) -> DeviceInfo | None:
    """Among several devices of a kind, the only one whose name or model has a word the mail uses."""
    if len(candidates) < 2:
        return None
    text_words = set(words)
    matching = []
    for device in candidates:
        name_words = {w for w in words_of(f"{device.name} {device.model or ''}")
                      if len(w) >= 4 and w not in _NAME_STOP
                      and not any(w.startswith(t.lstrip("=")) for t in kind_terms)  # "laptop" says the kind, not which
                      and not any(w.startswith(p) for p in people if len(p) >= 3)}
        # the name's word itself, or a word of the mail that starts with it (etiketprinter -> etiketprinteren)
        if any(w in text_words or any(t.startswith(w) for t in text_words) for w in name_words):
            matching.append(device)
    return matching[0] if len(matching) == 1 else None


def _is_plural(term: str, word: str) -> bool:
    if term.startswith("="):
        return False
    stem = term.lower()
    position = word.rfind(stem)
    return position >= 0 and word[position + len(stem):] in _PLURAL_ENDINGS


def _candidates(kind: KindVocabulary, devices: tuple[DeviceInfo, ...], contact: str | None) -> list[DeviceInfo]:
    pool = [d for d in devices if not kind.personal or (contact is not None and d.user == contact)]
    for registry_kind in kind.kinds:
        of_kind = [d for d in pool if d.kind == registry_kind]
        if of_kind:
            return of_kind
    return []


def by_kind(text: str, customer: str, contact: str | None, registry: RegistrySnapshot,
            rules: DeviceKindRules, trace: Trace) -> list[str]:
    devices = registry.devices.get(customer, ())
    named: dict[str, list[str]] = {}
    words_of_text = words_of(text)
    for entry, word in rules.lexicon.word_hits(words_of_text):
        if not _is_plural(entry.term, word):
            named.setdefault(entry.label, []).append(entry.term)
    for entry in rules.lexicon.phrase_hits(text, words_of_text):
        named.setdefault(entry.label, []).append(entry.term)
    found: list[str] = []
    for kind_id, hits in named.items():
        kind = rules.kinds[kind_id]
        candidates = _candidates(kind, devices, contact)
        # "kontaktens eneste telefon", "men kunden har ingen printer registreret": the kind in Danish, with its article.
        whose, who = ("kontaktens", "kontakten") if kind.personal else ("kundens", "kunden")
        one, several, named_as = (device_kind(kind.id, form) for form in (0, 1, 2))
        words = f"Mailen nævner {named_as} ({', '.join(hits)})"
        if len(candidates) == 1:
            tag = candidates[0].tag
            if tag not in found:
                found.append(tag)
            trace.add("devices", "device-kind", tag, f"{words}, og {whose} eneste {one} er {tag}", matched=hits)
        elif (by_name := _by_name(candidates, words_of_text, hits, _person_words(registry, customer))) is not None:
            if by_name.tag not in found:
                found.append(by_name.tag)
            trace.add("devices", "device-kind-name", by_name.tag,
                      f"Mailen nævner {named_as}; af {whose} {len(candidates)} {several} passer kun navnet "
                      f"'{by_name.name}' på {by_name.tag}", matched=hits)
        elif candidates:
            trace.add("devices", "device-kind-ambiguous", "none",
                      f"{words}, men {who} har {len(candidates)} {several}: "
                      f"{', '.join(d.tag for d in candidates)}; ingen kobles", matched=hits)
        else:
            trace.add("devices", "device-kind-none", "none", f"{words}, men {who} har ingen {one} registreret",
                      matched=hits)
    return found


def primary_computer(customer: str, contact: str | None, registry: RegistrySnapshot, trace: Trace) -> str | None:
    """The contact's primary computer, for a computer problem that named no device."""
    if contact is None:
        trace.add("devices", "primary-computer-unknown-contact", "none",
                  "Et computerproblem, men afsenderen er ikke en kendt kontakt: ingen computer kobles")
        return None
    own = [d for d in registry.devices.get(customer, ()) if d.user == contact and d.kind == "computer"]
    primary = [d for d in own if d.primary] or (own if len(own) == 1 else [])
    if len(primary) != 1:
        trace.add("devices", "primary-computer-none", "none",
                  f"Et computerproblem, men kontakten har {len(primary) or 'ingen'} primære computere: ingen kobles")
        return None
    trace.add("devices", "primary-computer", primary[0].tag,
              f"Et computerproblem uden navngiven enhed: kontaktens primære computer {primary[0].tag}")
    return primary[0].tag
