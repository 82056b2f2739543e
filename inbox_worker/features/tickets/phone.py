"""A ticket opened by hand for a phone call, decided by the same pure pipeline as mail.

The call is described as a mail from the contact (no headers, no Message-ID) and run through
`run_pipeline` with what staff chose on the phone (device, category), which wins and is traced as
a staff choice: guard, link, classify, thread (always new: nothing to thread on), priority,
coverage and on-call, each traced as for mail. No acknowledgement: the customer is on the line. An
emergency phoned in outside opening hours gets its on-call notice like a mail would. The call is
also the ticket's first response: its clocks start and the first response is met at once (traced,
and in the clock history with the staff member's initials). The decision and its trace go to the
audit log (the decision log is per mail).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.types import ParsedMail
from inbox_worker.domain.vocabulary import CATEGORIES
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.mail.pipeline import PhoneChoices, PipelineParams, run_pipeline
from inbox_worker.mail.rulebook import load_rulebook
from inbox_worker.outbound.mail_out import mail_out
from inbox_worker.outbound.render import Renderer
from inbox_worker.store import apply as writes
from inbox_worker.store import audit, repository
from inbox_worker.store.models import Contact, Customer, Device, Ticket


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


def _check(session: Session, call: PhoneCall) -> tuple[Customer, Contact]:
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
    return customer, contact


def open_phone_ticket(session: Session, call: PhoneCall, settings: Settings, actor: str, now: datetime) -> Ticket:
    customer, contact = _check(session, call)
    connection = session.connection()
    writes.lock_ticket_numbers(connection)
    mail = _as_mail(call, contact, settings, now)
    registry = repository.load_snapshot(session)
    context = repository.mail_context(session, mail, now, repository.customer_keys(session),
                                      timezone=settings.company.timezone)
    decision = run_pipeline(mail, context, registry, load_rulebook(settings.paths.rules),
                            PipelineParams.from_settings(settings), PhoneChoices(call.category, call.device))
    if decision.ticket is None or decision.coverage is None or decision.priority is None:
        raise ActionError("Opkaldet kunne ikke behandles af reglerne")
    out = mail_out(Renderer(settings), decision, mail, now, registry)  # the on-call notice, if any
    number = writes.open_call(connection, decision, mail, out, writes.RegistryIds.load(session), actor, now)
    audit.record(session, actor, "phone-ticket", now, ticket=number, customer=customer.id,
                 coverage=decision.coverage.as_dict(), category=str(decision.category),
                 priority=str(decision.priority), devices=list(decision.devices),
                 response=decision.response.as_dict() if decision.response else None, trace=decision.trace_json())
    ticket = session.get(Ticket, number)
    assert ticket is not None
    return ticket
