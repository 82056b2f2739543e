"""The staff notice that a ticket's promise is about to be missed, or was (templates/warning/, Danish)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.outgoing import OutgoingMail
from inbox_worker.domain.response_clock import Target
from inbox_worker.features.response.due import DueWarning
from inbox_worker.features.response.report_text import duration
from inbox_worker.mail.decide.response import danish_moment
from inbox_worker.outbound.render import Renderer

WHAT = {Target.FIRST_RESPONSE: "fristen for første svar", Target.RESOLUTION: "løsningsfristen"}


@dataclass(frozen=True)
class NoticeFacts:
    """What the notice says about the ticket (read by the caller in the warning's transaction)."""

    ticket: int
    subject: str
    customer: str | None  # the customer's name
    sender: str | None
    assignee: str | None  # initials; None: nobody, so the notice went to the shared staff address
    mode: ClockMode
    reason: str  # why these targets (the rule's sentence)


def _when(due: datetime, now: datetime, zone: ZoneInfo) -> str:
    """'kl. 14:00' on the same day, else 'tor. 3.12. kl. 10:00'."""
    if due.astimezone(zone).date() == now.astimezone(zone).date():
        return f"kl. {due.astimezone(zone):%H:%M}"
    return danish_moment(due, zone)


def warning_subject(facts: NoticeFacts, warning: DueWarning, now: datetime, zone: ZoneInfo) -> str:
    verb = "har overskredet" if warning.late else "når snart"
    return f"Sag #{facts.ticket} {verb} {WHAT[warning.target]} ({_when(warning.due, now, zone)})"


def time_text(warning: DueWarning, mode: ClockMode) -> str:
    """'25 min tilbage i åbningstiden', 'overskredet med 1 t 5 min (døgnet rundt)', 'overskredet'."""
    clock = "døgnet rundt" if mode == ClockMode.AROUND_THE_CLOCK else "i åbningstiden"
    if not warning.late:
        return f"{duration(warning.minutes)} tilbage {clock}"
    return f"overskredet med {duration(warning.minutes)} ({clock})" if warning.minutes else "overskredet"


def compose_warning(renderer: Renderer, facts: NoticeFacts, warning: DueWarning, recipient: str,
                    now: datetime) -> OutgoingMail:
    settings = renderer.settings
    zone = ZoneInfo(settings.company.timezone)
    base = settings.web.base_url.rstrip("/")
    context = {
        "now": now, "f": facts, "what": WHAT[warning.target], "late": warning.late,
        "due": danish_moment(warning.due, zone), "left": time_text(warning, facts.mode),
        "link": f"{base}/tickets/{facts.ticket}" if base else "", "staff_address": settings.company.staff_address,
    }
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
               "X-MICO-Ticket": str(facts.ticket), "X-MICO-Target": warning.target.value}
    return renderer.compose("warning", recipient, warning_subject(facts, warning, now, zone), "warning/warning",
                            "da", context, headers)
