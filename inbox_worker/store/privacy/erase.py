"""The writes of one person's erasure, in the caller's transaction: what Holdings found goes, is emptied or scrubbed.

Order matters in one place: the scrub of every other table (catalog) is written first, the rows the erasure
rewrites itself after it, so its values (a NULL contact person, an emptied body) are the ones that stay.
The search index follows by its triggers; attachment files are removed after the commit (files.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from inbox_worker.domain.privacy import MARKER, Scrubber, shell_address, untagged
from inbox_worker.store.models import (
    AttachmentRecord,
    Contact,
    Customer,
    DecisionLog,
    Device,
    MessageRef,
    OutboxAttachment,
    OutboxMessage,
    RawBlob,
    RawMessage,
    Ticket,
    TicketEntry,
)
from inbox_worker.store.privacy import catalog, records
from inbox_worker.store.privacy.holdings import Holdings
from inbox_worker.store.privacy.outgoing import UNSENT, emptied_body
from inbox_worker.store.privacy.person import is_theirs

_CHUNK = 500


def chunks(values: Sequence[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start:start + _CHUNK])


def erase_holdings(session: Session, held: Holdings, erasure_id: int) -> str:
    """Erase what `held` found; returns what became of the contact: "deleted", "kept" (it holds packages,
    the invoice basis counts them) or "" (the person was no contact)."""
    scrubber = Scrubber(held.identity)
    catalog.apply_changes(session, held.changes)
    delete_raw(session, held.raw, held.attachments)
    _empty_tickets(session, held, scrubber, erasure_id)
    for ids in chunks(held.own_entries):
        session.execute(delete(TicketEntry).where(TicketEntry.id.in_(ids)))
    _empty_outbox(session, held)
    for refs in chunks(held.refs):
        session.execute(delete(MessageRef).where(MessageRef.message_id.in_(refs)))
    return _registry(session, held, erasure_id)


def delete_raw(session: Session, raw: Sequence[int], attachments: Sequence[int]) -> None:
    """Raw mails with their bytes, decisions and attachment rows; the thread entries they made stay."""
    for ids in chunks(attachments):
        session.execute(delete(AttachmentRecord).where(AttachmentRecord.id.in_(ids)))
    for ids in chunks(raw):
        session.execute(update(TicketEntry).where(TicketEntry.raw_message_id.in_(ids)).values(raw_message_id=None))
        session.execute(delete(AttachmentRecord).where(AttachmentRecord.raw_message_id.in_(ids)))
        session.execute(delete(DecisionLog).where(DecisionLog.raw_message_id.in_(ids)))
        session.execute(update(RawMessage).where(RawMessage.duplicate_of_id.in_(ids)).values(duplicate_of_id=None))
        session.execute(update(RawMessage).where(RawMessage.superseded_by_id.in_(ids)).values(superseded_by_id=None))
    for ids in chunks(raw):
        session.execute(delete(RawBlob).where(RawBlob.raw_message_id.in_(ids)))
        session.execute(delete(RawMessage).where(RawMessage.id.in_(ids)))


def _empty_tickets(session: Session, held: Holdings, scrubber: Scrubber, erasure_id: int) -> None:
    pseudonym, addresses = held.identity.pseudonym, held.person.addresses
    for ids in chunks(held.tickets):
        session.execute(update(TicketEntry).where(TicketEntry.ticket_id.in_(ids), TicketEntry.kind != "event")
                        .values(body_text=MARKER, subject=None))
        session.execute(update(TicketEntry).where(TicketEntry.ticket_id.in_(ids),
                                                  is_theirs(TicketEntry.author, addresses))
                        .values(author=pseudonym))
        for entry in session.scalars(select(TicketEntry).where(TicketEntry.ticket_id.in_(ids),
                                                               TicketEntry.kind == "event")):
            text = scrubber.scrub(entry.body_text, loose=True)
            if text != entry.body_text:
                session.execute(update(TicketEntry).where(TicketEntry.id == entry.id).values(body_text=text))
        rows = session.execute(select(Ticket.id, Ticket.from_address, Ticket.contact_email, Ticket.coverage,
                                      Ticket.response_reason).where(Ticket.id.in_(ids))).all()
        for number, sender, contact, coverage, reason in rows:
            session.execute(update(Ticket).where(Ticket.id == number).values(
                subject=MARKER, from_address=pseudonym if sender else None,
                contact_email=pseudonym if contact else None, coverage=scrubber.scrub_value(coverage, loose=True),
                response_reason=scrubber.scrub(reason, loose=True) if reason else reason,
                version=Ticket.version + 1))
    records.mark_tickets(session, held.tickets, erasure_id)


def empty_outbox(session: Session, ids: Sequence[int], marker: str, recipient_of: dict[str, str]) -> None:
    """Outgoing mail without its text: the message replaced by one line, a recipient in `recipient_of`
    (lower case, any subaddress) replaced, Cc addresses dropped, the server's last answer gone; unsent rows never go."""
    body = emptied_body(marker)
    for chunk in chunks(ids):
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.status)
                               .where(OutboxMessage.id.in_(chunk))).all()
        for outbox_id, recipient, status in rows:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(
                subject=marker, body=body, cc=[], last_error=None,
                recipient=recipient_of.get(untagged(recipient), recipient),
                status="cancelled" if status in UNSENT else status))
        session.execute(delete(OutboxAttachment).where(OutboxAttachment.outbox_id.in_(chunk)))


def _empty_outbox(session: Session, held: Holdings) -> None:
    empty_outbox(session, held.outbox, MARKER, {a: held.identity.pseudonym for a in held.person.addresses})


def _registry(session: Session, held: Holdings, erasure_id: int) -> str:
    addresses = set(held.person.addresses)
    for ids in chunks(held.devices):
        session.execute(update(Device).where(Device.id.in_(ids)).values(user_email=None))
    for ids in chunks(held.contact_person_of):
        session.execute(update(Customer).where(Customer.id.in_(ids)).values(contact_person=None))
    for contact in session.scalars(select(Contact).where(Contact.id.in_(held.alias_holders))):
        contact.aliases = [a for a in contact.aliases if str(a).lower() not in addresses]
        contact.staff_aliases = [a for a in contact.staff_aliases if str(a).lower() not in addresses]
    if held.person.contact_id is None:
        return ""
    if held.person.packages:  # the package count of the invoice stays; nothing of the person does
        session.execute(update(Contact).where(Contact.id == held.person.contact_id).values(
            email=shell_address(erasure_id), name=held.identity.pseudonym, aliases=[], staff_aliases=[],
            phone=None))
        return "kept"
    session.execute(delete(Contact).where(Contact.id == held.person.contact_id))
    return "deleted"
