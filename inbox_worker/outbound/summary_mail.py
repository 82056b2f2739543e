"""The weekly summary as an outgoing mail (templates/summary/), in the customer's language."""

from __future__ import annotations

from datetime import datetime

from ..store.apply import OutgoingMail
from ..summary import Summary
from .render import Renderer

SUBJECTS = {"da": "Ugeoversigt fra {company}, uge {week} {year}: {customer}",
            "en": "Weekly summary from {company}, week {week} {year}: {customer}"}


def compose_summary(renderer: Renderer, summary: Summary, now: datetime) -> OutgoingMail:
    facts = summary.facts
    language = facts.language if facts.language in SUBJECTS else "da"
    subject = SUBJECTS[language].format(company=renderer.settings.company.name, week=facts.week.week,
                                        year=facts.week.year, customer=facts.customer_name)
    context = {"now": now, "s": summary, "f": facts, "lang": language,
               "name": (facts.recipient_name or "").split(" ")[0]}
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
               "X-MICO-Week": str(facts.week)}
    return renderer.compose("summary", facts.recipient, subject, "summary/summary", language, context, headers)
