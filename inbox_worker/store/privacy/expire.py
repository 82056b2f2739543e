"""The writes of retention, in the caller's transaction: raw mail's bytes, attachments and rendered mail gone,
ticket text anonymised, the old invoice basis deleted. What to write is found first (expiry.py).

Raw mail keeps its row (Message-ID, fingerprint, outcome: a copy delivered again is still known as a
duplicate); a quarantined mail without a ticket goes entirely. Anonymised text: subject, every body and note,
the requester ("Anonymiseret person"), the decision's sender and trace; addresses, the contact's name and
phone in what stays (coverage reason, clock reasons). The audit log is kept as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from inbox_worker.domain.privacy import ANONYMOUS, EXPIRED, RAW_EXPIRED, Identity, Scrubber, without_addresses
from inbox_worker.store.models import (
    AttachmentRecord,
    Contact,
    CoverageOverride,
    DecisionLog,
    OutboxAttachment,
    OutboxMessage,
    RawBlob,
    RawMessage,
    ResponseEvent,
    Ticket,
    TicketEntry,
    TimeEntry,
)
from inbox_worker.store.privacy.erase import chunks, delete_raw
from inbox_worker.store.privacy.expiry import Expiry
from inbox_worker.store.privacy.outgoing import UNSENT, emptied_body
from inbox_worker.store.privacy.person import person_of
from inbox_worker.store.privacy.records import mark_tickets

_CUSTOMER_MAIL = ("ack", "reply", "summary")  # rendered for a customer: its recipient is personal data


def expire_mail(session: Session, found: Expiry) -> None:
    """Raw bytes, attachment rows, rendered outgoing mail (their files are removed after the commit)."""
    delete_raw(session, found.quarantined, [])
    for ids in chunks(found.attachments):
        session.execute(delete(AttachmentRecord).where(AttachmentRecord.id.in_(ids)))
    for ids in chunks(found.raw):
        session.execute(delete(RawBlob).where(RawBlob.raw_message_id.in_(ids)))
    body = emptied_body(RAW_EXPIRED)
    for ids in chunks(found.outbox):
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status.in_(UNSENT))
                        .values(status="cancelled"))
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(body=body, last_error=None))
    for ids in chunks(found.outbox_attachments):
        session.execute(delete(OutboxAttachment).where(OutboxAttachment.id.in_(ids)))


def _scrubber(session: Session, ticket: Ticket) -> Scrubber:
    """The ticket's person as far as the registry still knows them (their name, phone, aliases), else its addresses."""
    addresses = {a.lower() for a in (ticket.from_address, ticket.contact_email) if a and "@" in a}
    person = person_of(session, ticket.contact_email) if ticket.contact_email else None
    contact = session.get(Contact, person.contact_id) if person is not None and person.contact_id else None
    identity = Identity(ANONYMOUS, tuple(sorted(addresses | set(person.addresses if person else ()))),
                        (contact.name,) if contact is not None and len(contact.name.split()) > 1 else (),
                        (contact.phone,) if contact is not None and contact.phone else ())
    return Scrubber(identity)


def _anonymised(scrubber: Scrubber, value: Any) -> Any:
    """A text or JSON value with the ticket's person and every mail address in it replaced."""
    if isinstance(value, str):
        return without_addresses(scrubber.scrub(value, loose=True))
    if isinstance(value, list):
        return [_anonymised(scrubber, item) for item in value]
    if isinstance(value, dict):
        return {key: _anonymised(scrubber, item) for key, item in value.items()}
    return value


def anonymise_tickets(session: Session, tickets: list[int], erasure_id: int) -> None:
    for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(tickets))):
        scrubber = _scrubber(session, ticket)
        session.execute(update(TicketEntry).where(TicketEntry.ticket_id == ticket.id, TicketEntry.kind != "event")
                        .values(body_text=EXPIRED, subject=None))
        session.execute(update(TicketEntry).where(TicketEntry.ticket_id == ticket.id, TicketEntry.author.contains("@"))
                        .values(author=ANONYMOUS))
        for entry in session.scalars(select(TicketEntry).where(TicketEntry.ticket_id == ticket.id,
                                                               TicketEntry.kind == "event")):
            entry.body_text = _anonymised(scrubber, entry.body_text)
        for event in session.scalars(select(ResponseEvent).where(ResponseEvent.ticket_id == ticket.id)):
            event.reason = _anonymised(scrubber, event.reason)
            event.actor = ANONYMOUS if event.actor and "@" in event.actor else event.actor
        for decision in session.scalars(select(DecisionLog).where(DecisionLog.ticket_id == ticket.id)):
            kept = {k: v for k, v in (decision.decision or {}).items() if k not in ("from", "subject", "contact")}
            decision.decision = {**_anonymised(scrubber, kept), "from": None, "subject": None, "contact": None}
            decision.trace = []
        session.execute(update(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
                        .values(subject=EXPIRED, cc=[]))
        session.execute(update(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id,
                                                    OutboxMessage.kind.in_(_CUSTOMER_MAIL)).values(recipient=ANONYMOUS))
        session.execute(update(RawMessage).where(RawMessage.ticket_id == ticket.id,  # a file's name may name them
                                                 ~RawMessage.source.startswith("imap:")).values(source=ANONYMOUS))
        session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
            subject=EXPIRED, from_address=ANONYMOUS if ticket.from_address else None,
            contact_email=ANONYMOUS if ticket.contact_email else None,
            coverage=_anonymised(scrubber, ticket.coverage or {}),
            response_reason=_anonymised(scrubber, ticket.response_reason) if ticket.response_reason else None,
            version=Ticket.version + 1))
    mark_tickets(session, tickets, erasure_id)


def delete_invoice_basis(session: Session, found: Expiry) -> None:
    for ids in chunks(found.time_entries):  # the corrections first: they name the entries they correct
        session.execute(delete(TimeEntry).where(TimeEntry.id.in_(ids), TimeEntry.corrects_id.is_not(None)))
    for ids in chunks(found.time_entries):
        session.execute(delete(TimeEntry).where(TimeEntry.id.in_(ids)))
    for ids in chunks(found.overrides):
        session.execute(delete(CoverageOverride).where(CoverageOverride.id.in_(ids)))
