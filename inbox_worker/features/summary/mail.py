"""The weekly summary as an outgoing mail (templates/summary/), in the customer's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inbox_worker.domain.outgoing import OutgoingMail
from inbox_worker.features.summary.build import Summary
from inbox_worker.features.summary.response_line import response_line
from inbox_worker.outbound.render import Renderer

SUBJECTS = {"da": "Ugeoversigt fra {company}, uge {week} {year}: {customer}",
            "en": "Weekly summary from {company}, week {week} {year}: {customer}"}


def _parts(renderer: Renderer, summary: Summary, now: datetime) -> tuple[str, str, dict[str, Any]]:
    facts = summary.facts
    language = facts.language if facts.language in SUBJECTS else "da"
    subject = SUBJECTS[language].format(company=renderer.settings.company.name, week=facts.week.week,
                                        year=facts.week.year, customer=facts.customer_name)
    context = {"now": now, "s": summary, "f": facts, "lang": language,
               "name": (facts.recipient_name or "").split(" ")[0],
               "response_line": response_line(facts.response, facts.week.week, language)}
    return language, subject, context


def summary_text(renderer: Renderer, summary: Summary, now: datetime) -> tuple[str, str]:
    """Subject and plain text, for a dry run."""
    language, subject, context = _parts(renderer, summary, now)
    return subject, renderer.render_text("summary/summary", language, context)


def compose_summary(renderer: Renderer, summary: Summary, now: datetime) -> OutgoingMail:
    facts = summary.facts
    language, subject, context = _parts(renderer, summary, now)
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
               "X-MICO-Week": str(facts.week)}
    return renderer.compose("summary", facts.recipient, subject, "summary/summary", language, context, headers,
                            facts.recipient_name)
