"""What the retention periods let go now (read only): tickets past each period, mail without a ticket, old rows.

A ticket counts from its close, or from its customer's agreement end when that came first (domain/retention).
Raw mail of a ticket is every stored copy of its mails; mail without a ticket (quarantined, automatic mail
that belongs nowhere) counts from its arrival, unless it is a copy of a ticket's mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from inbox_worker.domain.enums import Outcome, RawState
from inbox_worker.domain.privacy import EXPIRED, MARKER, RAW_EXPIRED
from inbox_worker.domain.retention import Cutoffs, agreement_ended_at, counted_from
from inbox_worker.store.models import (
    AttachmentRecord,
    CoverageOverride,
    Customer,
    ErasedTicket,
    OutboxAttachment,
    OutboxMessage,
    RawBlob,
    RawMessage,
    Ticket,
    TimeEntry,
)
from inbox_worker.store.privacy.copies import with_copies
from inbox_worker.store.privacy.outgoing import emptied_body

_SENDING = ("queued", "sending")  # mail still on its way is never touched


def emptied_bodies() -> list[bytes]:
    return [emptied_body(marker) for marker in (MARKER, RAW_EXPIRED, EXPIRED)]


@dataclass
class Expiry:
    raw_tickets: list[int] = field(default_factory=list)  # tickets whose mail, attachments and rendered mail go
    text_tickets: list[int] = field(default_factory=list)  # tickets whose text is anonymised
    raw: list[int] = field(default_factory=list)  # raw mails whose bytes go (the row stays: dedupe, history)
    quarantined: list[int] = field(default_factory=list)  # quarantined mails without a ticket: gone entirely
    attachments: list[int] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)  # rendered mails emptied
    outbox_attachments: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # files the attachment rows named
    time_entries: list[int] = field(default_factory=list)
    overrides: list[int] = field(default_factory=list)
    terminated_without_end: list[str] = field(default_factory=list)  # customers: no date to count from

    def merge(self, other: Expiry) -> None:
        for name in ("raw_tickets", "text_tickets", "raw", "quarantined", "attachments", "outbox",
                     "outbox_attachments", "paths", "time_entries", "overrides"):
            setattr(self, name, sorted(set(getattr(self, name)) | set(getattr(other, name))))


def _ticket_moments(session: Session, zone: ZoneInfo, ids: list[int] | None) -> dict[int, tuple[datetime, bool]]:
    """Ticket -> (the moment it counts from, whether its text is already anonymised), for tickets that count."""
    query = (select(Ticket.id, Ticket.created_at, Ticket.closed_at, ErasedTicket.erasure_id, Customer.agreement_end)
             .outerjoin(Customer, Customer.id == Ticket.customer_id)
             .outerjoin(ErasedTicket, ErasedTicket.ticket_id == Ticket.id)
             .where(or_(Ticket.closed_at.is_not(None), Customer.agreement_end.is_not(None))))
    if ids is not None:
        query = query.where(Ticket.id.in_(ids))
    found = {}
    for number, created, closed, erased, end in session.execute(query):
        moment = counted_from(created, closed, agreement_ended_at(end, zone) if end else None)
        if moment is not None:
            found[int(number)] = (moment, erased is not None)
    return found


def find_expiry(session: Session, cut: Cutoffs, zone: ZoneInfo) -> Expiry:
    """Everything that goes now (the plan of `privacy retention`)."""
    found = ticket_expiry(session, cut, zone)
    found.merge(loose_expiry(session, cut, exclude=set(found.raw)))
    found.merge(invoice_expiry(session, cut))
    found.terminated_without_end = list(session.scalars(select(Customer.key).where(
        Customer.agreement == "terminated", Customer.agreement_end.is_(None)).order_by(Customer.key)))
    return found


def ticket_expiry(session: Session, cut: Cutoffs, zone: ZoneInfo, tickets: list[int] | None = None) -> Expiry:
    """What goes of tickets past a period; `tickets`: only these (a chunk, found again in its own transaction)."""
    found = Expiry()
    moments = _ticket_moments(session, zone, tickets)
    raw_due = sorted(t for t, (moment, _) in moments.items() if moment < cut.raw_mail)
    found.text_tickets = sorted(t for t, (moment, done) in moments.items() if moment < cut.ticket_text and not done)
    due = sorted(set(raw_due) | set(found.text_tickets))
    rows = with_copies(session, set(session.scalars(select(RawMessage.id).where(RawMessage.ticket_id.in_(due))))) \
        if due else set()
    outbox = set(session.scalars(_OUTBOX.where(OutboxMessage.ticket_id.in_(due)))) if due else set()
    _files(session, found, rows, outbox)
    going = _tickets_of(session, set(found.raw), found)
    found.raw_tickets = sorted(t for t in raw_due if t in going)
    return found


def loose_expiry(session: Session, cut: Cutoffs, exclude: set[int] | None = None) -> Expiry:
    """Mail without a ticket, and rendered mail without one (summaries, alerts), past raw_mail_months."""
    found = Expiry()
    quarantined, loose = _mail_without_ticket(session, cut.raw_mail)
    exclude = exclude or set()
    found.quarantined = sorted(quarantined - exclude)
    outbox = set(session.scalars(_OUTBOX.where(OutboxMessage.ticket_id.is_(None),
                                               OutboxMessage.created_at < cut.raw_mail)))
    _files(session, found, loose - exclude, outbox)
    return found


_OUTBOX = select(OutboxMessage.id).where(OutboxMessage.status.not_in(_SENDING),
                                         OutboxMessage.body.not_in(emptied_bodies()))


def _files(session: Session, found: Expiry, rows: set[int], outbox: set[int]) -> None:
    """The raw bytes still stored among `rows`, the attachments of those and the quarantined ones, the outbox
    rows and their attachments."""
    found.raw = sorted(set(session.scalars(select(RawBlob.raw_message_id).where(
        RawBlob.raw_message_id.in_(sorted(rows))))) - set(found.quarantined)) if rows else []
    gone = sorted(rows | set(found.quarantined))
    attachments = session.execute(select(AttachmentRecord.id, AttachmentRecord.stored_path).where(
        AttachmentRecord.raw_message_id.in_(gone))).all() if gone else []
    found.outbox = sorted(outbox)
    sent = session.execute(select(OutboxAttachment.id, OutboxAttachment.stored_path).where(
        OutboxAttachment.outbox_id.in_(found.outbox))).all() if found.outbox else []
    found.attachments, found.outbox_attachments = [i for i, _ in attachments], [i for i, _ in sent]
    found.paths = sorted({path for _, path in [*attachments, *sent] if path})


def _tickets_of(session: Session, raw: set[int], found: Expiry) -> set[int]:
    """The tickets something goes from (for the count: a ticket emptied before is not counted again)."""
    tickets = set(session.scalars(select(RawMessage.ticket_id).where(RawMessage.id.in_(sorted(raw))))) if raw else set()
    if found.outbox:
        tickets |= set(session.scalars(select(OutboxMessage.ticket_id).where(OutboxMessage.id.in_(found.outbox))))
    if found.attachments:
        tickets |= set(session.scalars(select(AttachmentRecord.ticket_id).where(
            AttachmentRecord.id.in_(found.attachments))))
    return {t for t in tickets if t is not None}


def _mail_without_ticket(session: Session, before: datetime) -> tuple[set[int], set[int]]:
    """(quarantined mails, other mails) without a ticket that arrived before `before`; a copy of a ticket's
    mail (a duplicate, a superseded copy) goes with that ticket's mail instead."""
    original, newer = aliased(RawMessage), aliased(RawMessage)
    arrived = func.coalesce(RawMessage.arrived_at, RawMessage.received_at)
    rows = session.execute(
        select(RawMessage.id, RawMessage.state, RawMessage.outcome, original.ticket_id, newer.ticket_id)
        .outerjoin(original, original.id == RawMessage.duplicate_of_id)
        .outerjoin(newer, newer.id == RawMessage.superseded_by_id)
        .where(RawMessage.ticket_id.is_(None), arrived < before))
    quarantined: set[int] = set()
    other: set[int] = set()
    for raw_id, state, outcome, of_ticket, by_ticket in rows:
        if of_ticket is not None or by_ticket is not None:
            continue
        is_quarantined = state == RawState.PROCESSED.value and outcome == Outcome.QUARANTINED.value
        (quarantined if is_quarantined else other).add(int(raw_id))
    return quarantined, other


def invoice_expiry(session: Session, cut: Cutoffs) -> Expiry:
    """Time entries and coverage decisions past invoice_basis_years after their year's end (a decision only on a
    closed ticket: on an open one it still decides the coverage of what comes)."""
    found = Expiry()
    old = set(session.scalars(select(TimeEntry.id).where(TimeEntry.work_date < cut.invoice_basis)))
    if old:  # a correction goes with the entry it corrects (it keeps its day, so it is as old)
        old |= set(session.scalars(select(TimeEntry.id).where(TimeEntry.corrects_id.in_(sorted(old)))))
    found.time_entries = sorted(old)
    found.overrides = sorted(session.scalars(
        select(CoverageOverride.id).join(Ticket, Ticket.id == CoverageOverride.ticket_id)
        .where(CoverageOverride.created_at < cut.invoice_basis_moment, Ticket.closed_at.is_not(None))))
    return found
