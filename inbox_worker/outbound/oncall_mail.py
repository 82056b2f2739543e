"""The short emergency notice to the on-call person (templates/oncall/): fits an SMS gateway."""

from __future__ import annotations

from datetime import datetime

from inbox_worker.domain.decision import Decision
from inbox_worker.domain.outgoing import OutgoingMail
from inbox_worker.domain.types import ParsedMail, RegistrySnapshot
from inbox_worker.outbound.render import Renderer

FIRST_LINES = 4
MAX_TEXT = 300


def compose_oncall(renderer: Renderer, decision: Decision, mail: ParsedMail, now: datetime,
                   registry: RegistrySnapshot) -> OutgoingMail:
    assert decision.oncall is not None and decision.ticket is not None
    number = decision.ticket
    customer = registry.customers.get(decision.customer) if decision.customer else None
    contact = registry.contacts_by_address.get(decision.contact or "")
    lines = [line.strip() for line in mail.new_text.splitlines() if line.strip()][:FIRST_LINES]
    context = {
        "now": now, "ticket": number, "subject": (mail.subject or "")[:120],
        "customer": customer.name if customer else None, "contact": contact.name if contact else None,
        "phone": contact.phone if contact else None, "sender": mail.from_address,
        "first_lines": " / ".join(lines)[:MAX_TEXT],
        "devices": ", ".join(decision.devices),
    }
    subject = f"AKUT #{number}: {context['customer'] or mail.from_address or 'ukendt'}"[:200]
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All", "X-MICO-Ticket": str(number),
               "Importance": "high", "X-Priority": "1"}
    return renderer.compose("oncall", decision.oncall.recipient, subject, "oncall/oncall", "da", context, headers)
