"""A ticket opened by hand for a phone call, decided by the same pure pipeline as mail.

The call is described as a mail from the contact (no headers, no Message-ID) and run through
`run_pipeline`: guard, link, classify, thread (always new: nothing to thread on) and coverage, each
traced as for mail. What staff chose on the phone then wins and is traced as a staff choice: the
device (coverage is decided again with it) and the category. No acknowledgement is sent: the
customer is on the line. The decision and its trace go to the audit log (the decision log is per mail).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.types import MailContext, ParsedMail, TicketStatus, WorkItem
from inbox_worker.features.tickets.edit import CATEGORIES, ActionError
from inbox_worker.mail.decide.coverage import coverage_for
from inbox_worker.mail.pipeline import PipelineParams, Rulebook, run_pipeline
from inbox_worker.store import audit
from inbox_worker.store.models import Contact, Customer, Device, Ticket, TicketDevice, TicketEntry
from inbox_worker.store.repository import load_snapshot


@dataclass(frozen=True)
class PhoneCall:
    customer: str
    contact: str
    subject: str
    description: str
    device: str = ""
    category: str = ""


def _as_mail(call: PhoneCall, contact: Contact, settings: Settings, now: datetime) -> ParsedMail:
    body = call.description.strip()
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return ParsedMail(
        message_id=None, subject=call.subject.strip(), from_address=contact.email, from_name=contact.name,
        to=(settings.company.support_address,), cc=(), reply_to=(), date=now, in_reply_to=(), references=(),
        headers={}, content_type="text/plain", body_text=body, new_text=body, attachments=(), defects=(),
        sha256=digest, size=len(body.encode("utf-8")))


def _decide(session: Session, call: PhoneCall, contact: Contact, settings: Settings, now: datetime) -> WorkItem:
    rules = Rulebook.load(settings.paths.rules)
    params = PipelineParams.from_settings(settings)
    registry = load_snapshot(session)
    item = run_pipeline(_as_mail(call, contact, settings, now), MailContext(now, None, None, 0),
                        registry, rules, params)
    if item.link is None or item.classification is None or item.coverage is None:
        raise ActionError("Opkaldet kunne ikke behandles af reglerne")
    chosen = False
    if call.category:  # recorded even when the rules agree: staff chose it on the phone
        item.classification = dataclasses.replace(item.classification, category=call.category)
        item.trace.add("classify", "staff-category", call.category, "Medarbejderen valgte kategorien i telefonen")
        chosen = True
    if call.device:
        item.link = dataclasses.replace(item.link, devices=(call.device,))
        item.trace.add("link", "staff-device", call.device, f"Medarbejderen valgte enheden {call.device} i telefonen")
        chosen = True
    if chosen:  # what staff chose decides coverage, through the same rules
        item.coverage = coverage_for(item, registry, rules.coverage, params.rates, params.timezone)
    return item


def _check(session: Session, call: PhoneCall) -> tuple[Customer, Contact, Device | None]:
    customer = session.scalar(select(Customer).where(Customer.key == call.customer))
    contact = session.scalar(select(Contact).where(Contact.email == call.contact))
    if customer is None or contact is None or contact.customer_id != customer.id:
        raise ActionError("Vælg en kunde og en af kundens kontakter")
    device = session.scalar(select(Device).where(Device.tag == call.device)) if call.device else None
    if call.device and (device is None or device.customer_id != customer.id):
        raise ActionError("Enheden hører ikke til kunden")
    if call.category and call.category not in CATEGORIES:
        raise ActionError("Ukendt kategori")
    if not call.subject.strip() or not call.description.strip():
        raise ActionError("Skriv et emne og en beskrivelse af opkaldet")
    return customer, contact, device


def open_phone_ticket(session: Session, call: PhoneCall, settings: Settings, actor: str, now: datetime) -> Ticket:
    customer, contact, device = _check(session, call)
    item = _decide(session, call, contact, settings, now)
    assert item.classification is not None and item.coverage is not None
    ticket = Ticket(subject=call.subject.strip()[:1000], status=TicketStatus.OPEN.value, customer_id=customer.id,
                    contact_email=contact.email, from_address=None, category=item.classification.category,
                    priority=item.classification.priority, language=item.classification.language,
                    coverage=item.coverage.as_dict(), review=list(item.review), created_at=now, updated_at=now,
                    closed_at=None, assignee=customer.account_manager)
    session.add(ticket)
    session.flush()
    session.add(TicketEntry(ticket_id=ticket.id, kind="phone", author=actor, subject=ticket.subject,
                            body_text=call.description.strip(), created_at=now))
    if device is not None:
        session.add(TicketDevice(ticket_id=ticket.id, device_id=device.id))
    trace = [dataclasses.asdict(entry) for entry in item.trace.entries]
    audit.record(session, actor, "phone-ticket", now, ticket=ticket.id, customer=customer.id,
                 coverage=item.coverage.as_dict(), category=ticket.category, priority=ticket.priority,
                 devices=[device.tag] if device else [], trace=trace)
    return ticket
