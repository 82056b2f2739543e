"""Category, emergency signal and reply language of a mail, from its new text and the rules. Pure.

The priority is not decided here: the priority table (rules/priority.toml) reads these findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inbox_worker.domain.enums import Category, Language
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.types import (
    Classification,
    LinkDecision,
    MailContext,
    ParsedMail,
    RegistrySnapshot,
    Trace,
)
from inbox_worker.mail.decide.category import decide_category
from inbox_worker.mail.decide.classify_rules import ClassifyRules
from inbox_worker.mail.decide.emergency import EmergencySignal, find_emergency

_WORD = re.compile(r"[a-zæøå]+")
_DANISH = frozenset(
    "og jeg ikke det er har vi til på med en af for kan du hej tak venlig hilsen virker".split()  # noqa: SIM905 (a word list reads best as one string)
)
_ENGLISH = frozenset(
    "the and is not it we to on with a of for can you hello hi thanks regards please".split()  # noqa: SIM905 (a word list reads best as one string)
)
# Reply and forward prefixes, and our own ticket tag, say nothing about the matter.
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|sv|aw|vs|vb|fwd?|wg|tr)\s*:\s*|\[[^\]]*\]\s*)+", re.IGNORECASE)
_REPLY_SUBJECT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?:re|sv|aw)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class RequestText:
    """The words a decision may read: the subject and what the requester wrote now."""

    subject: str
    text: str
    fresh_subject: bool  # not a reply: the subject is the sender's own words now


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


# Words without which no `resolved` sentence can be written: most mail skips the sentence reading.
_RESOLVED_HINTS = frozenset(("fint", "igen", "godt", "perfekt", "løst", "tak", "fine", "again", "fixed", "resolved",
                             "solved", "since", "thanks", "thank", "perfectly"))


def without_resolved(text: str, resolved: tuple[re.Pattern[str], ...]) -> str:
    """The text without sentences that say something is fine again: they are about the past."""
    if not resolved or _RESOLVED_HINTS.isdisjoint(_WORD.findall(text.lower())):
        return text
    kept = [s for s in _SENTENCE_END.split(text)
            if _RESOLVED_HINTS.isdisjoint(_WORD.findall(s.lower())) or not any(p.search(s.lower()) for p in resolved)]
    return "\n".join(kept)


# What a request says is said in its first pages: the words after this many characters are not read.
# It bounds the work of every stage that reads the request (devices, category, emergency) for a huge mail.
REQUEST_CHARS = 100_000


def request_text(mail: ParsedMail, link: LinkDecision, rules: ClassifyRules) -> RequestText:
    """The words the request is judged by: the new text of the mail (or of the mail forwarded), at most
    REQUEST_CHARS of it, less the sentences that say an earlier problem is solved."""
    subject, text = mail.subject or "", mail.new_text
    if link.via_forward and mail.forwarded is not None:
        # A colleague forwarded the customer's mail: the customer's words are the request (the
        # colleague's note is about routing it: "videresender", "det er på regning").
        subject = mail.forwarded.subject or subject
        text = mail.forwarded.text or mail.new_text
    return RequestText(_SUBJECT_PREFIX.sub("", subject), without_resolved(text[:REQUEST_CHARS], rules.resolved),
                       not _REPLY_SUBJECT.match(subject))


def detect_language(text: str) -> str:
    """`da` or `en` by counting common function words; Danish wins ties (MICO writes Danish first)."""
    words = _WORD.findall(text.lower()[:4000])
    head = text[:4000].lower()
    danish = sum(word in _DANISH for word in words) + 3 * (head.count("æ") + head.count("ø") + head.count("å"))
    english = sum(word in _ENGLISH for word in words)
    return "en" if english > danish else "da"


def _language(request: RequestText, link: LinkDecision, registry: RegistrySnapshot, trace: Trace) -> str:
    contact = registry.contacts_by_address.get(link.contact or "")
    if contact is not None:
        language, why = contact.language, f"kontaktens sprog er {contact.language}"
    else:
        language = detect_language(f"{request.subject}\n{request.text}")
        why = f"afsenderen er ikke en kendt kontakt, og teksten er genkendt som {language}"
    trace.add("classify", "language", language, f"Kvitteringen skrives på {language}: {why}")
    return language


def _emergency(request: RequestText, rules: ClassifyRules, trace: Trace) -> EmergencySignal | None:
    texts = [request.subject, request.text] if request.fresh_subject else [request.text]
    signal = find_emergency(texts, rules)
    if signal is not None:
        trace.add("classify", signal.rule, "emergency", f"Akut: {signal.reason} (\"{signal.sentence}\")",
                  matched=[signal.sentence])
    return signal


def decide_classification(
    mail: ParsedMail, link: LinkDecision, registry: RegistrySnapshot, context: MailContext,
    rules: ClassifyRules, hours: OfficeHours, trace: Trace, request: RequestText | None = None,
) -> Classification:
    request = request or request_text(mail, link, rules)
    own = {d.tag: d for d in registry.devices.get(link.customer or "", ())}
    devices = [own[tag] for tag in link.devices if tag in own]
    emergency = _emergency(request, rules, trace)
    category = decide_category(request.subject, request.text, devices, rules, trace,
                               fresh_subject=request.fresh_subject, emergency=emergency)
    arrived = mail.date or context.now
    outside = not hours.is_open(arrived)
    trace.add("classify", "arrival-hours", "outside-hours" if outside else "within-hours",
              f"Modtaget {hours.local(arrived):%a %d.%m.%Y %H:%M} ({hours.timezone}): "
              + ("uden for åbningstid" if outside else "inden for åbningstid"))
    review: tuple[str, ...] = ("low-confidence",) if category.low_confidence else ()
    return Classification(Category(category.category), Language(_language(request, link, registry, trace)), review,
                          outside_hours=outside, emergency=emergency is not None)
