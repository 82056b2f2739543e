"""Category, priority and reply language of a mail. Pure.

Until the classification rules land (rules/classify.toml), every mail is category `other`; priority
follows the agreement (lower without one), and the language is the contact's, else detected.
"""

from __future__ import annotations

import re

from ..workitem import Classification, LinkDecision, MailContext, ParsedMail, RegistrySnapshot, Trace
from .agreement import effective_agreement

_WORD = re.compile(r"[a-zæøå]+")
_DANISH = frozenset(
    "og jeg ikke det er har vi til på med en af for kan du hej tak venlig hilsen virker".split()  # noqa: SIM905 (a word list reads best as one string)
)
_ENGLISH = frozenset(
    "the and is not it we to on with a of for can you hello hi thanks regards please".split()  # noqa: SIM905 (a word list reads best as one string)
)


def detect_language(text: str) -> str:
    """`da` or `en` by counting common function words; Danish wins ties (MICO writes Danish first)."""
    words = _WORD.findall(text.lower()[:4000])
    danish = sum(word in _DANISH for word in words) + 3 * sum(ch in "æøå" for ch in text[:4000].lower())
    english = sum(word in _ENGLISH for word in words)
    return "en" if english > danish else "da"


def decide_classification(
    mail: ParsedMail, link: LinkDecision, registry: RegistrySnapshot, context: MailContext, trace: Trace
) -> Classification:
    trace.add("classify", "category-default", "other", "Kategorisering efter regler er endnu ikke slået til")
    customer = registry.customers.get(link.customer) if link.customer else None
    priority = "normal"
    if customer is not None:
        status = effective_agreement(customer, (mail.date or context.now).date())
        if status == "none":
            priority = "low"
            trace.add("classify", "priority-no-agreement", "low",
                      "Kunden har ingen aktiv serviceaftale: lavere prioritet")
    contact = registry.contacts_by_address.get(link.contact or "")
    if contact is not None:
        language, why = contact.language, f"kontaktens sprog er {contact.language}"
    elif customer is not None and customer.language == "en":
        language, why = "en", "kundens sprog er en"
    else:
        language = detect_language(f"{mail.subject or ''}\n{mail.new_text}")
        why = f"sproget er genkendt i teksten som {language}"
    trace.add("classify", "language", language, f"Kvitteringen skrives på {language}: {why}")
    return Classification(category="other", priority=priority, language=language)
