"""The short emergency notice to the on-call person (templates/oncall/): fits an SMS gateway."""

from __future__ import annotations

from inbox_worker.domain.types import RegistrySnapshot, WorkItem
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.apply import OutgoingMail

FIRST_LINES = 4
MAX_TEXT = 300


def compose_oncall(renderer: Renderer, number: int, item: WorkItem, recipient: str,
                   registry: RegistrySnapshot) -> OutgoingMail:
    mail, link = item.parsed, item.link
    customer = registry.customers.get(link.customer) if link and link.customer else None
    contact = registry.contacts_by_address.get(link.contact or "") if link else None
    lines = [line.strip() for line in mail.new_text.splitlines() if line.strip()][:FIRST_LINES]
    context = {
        "now": item.context.now, "ticket": number, "subject": (mail.subject or "")[:120],
        "customer": customer.name if customer else None, "contact": contact.name if contact else None,
        "phone": contact.phone if contact else None, "sender": mail.from_address,
        "first_lines": " / ".join(lines)[:MAX_TEXT],
        "devices": ", ".join(link.devices) if link else "",
    }
    subject = f"AKUT #{number}: {context['customer'] or mail.from_address or 'ukendt'}"[:200]
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All", "X-MICO-Ticket": str(number),
               "Importance": "high", "X-Priority": "1"}
    return renderer.compose("oncall", recipient, subject, "oncall/oncall", "da", context, headers)
