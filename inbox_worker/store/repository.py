"""What the mail path reads: the registry snapshot, and the context of one mail, read before its pipeline runs.

The writes of a decision live in store/apply.py; the raw store in store/raw.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import Priority
from inbox_worker.domain.ticket_tag import reference_candidates, ticket_tag
from inbox_worker.domain.types import (
    ContactInfo,
    CustomerInfo,
    DeviceInfo,
    EarlierCopies,
    MailContext,
    ParsedMail,
    RegistrySnapshot,
    TicketState,
    TicketStatus,
)
from inbox_worker.store import response as clocks_store
from inbox_worker.store.coverage_queries import override_of, visit_tickets, visits_by_customer
from inbox_worker.store.models import (
    Contact,
    Customer,
    Device,
    MessageRef,
    OncallNotice,
    OutboxMessage,
    Ticket,
)


def customer_keys(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Customer.id, Customer.key)).all())


def load_snapshot(session: Session) -> RegistrySnapshot:
    keys = customer_keys(session)
    customers = {
        c.key: CustomerInfo(c.key, c.name, tuple(c.domains), c.agreement, c.agreement_end, tuple(c.packages),
                            c.contact_person, c.account_manager, c.language, tuple(c.exceptions))
        for c in session.scalars(select(Customer))
    }
    by_address: dict[str, ContactInfo] = {}
    for c in session.scalars(select(Contact)):
        info = ContactInfo(keys[c.customer_id], c.email, tuple(c.aliases), c.name, tuple(c.packages),
                           c.language, c.phone)
        for address in (c.email, *c.aliases):
            by_address[address.lower()] = info
    devices: dict[str, list[DeviceInfo]] = {}
    for d in session.scalars(select(Device).order_by(Device.tag)):
        devices.setdefault(keys[d.customer_id], []).append(
            DeviceInfo(keys[d.customer_id], d.tag, d.kind, d.name, d.hostname, d.serial, d.model,
                       d.user_email, d.primary, tuple(d.packages), d.extra_network))
    domains = {domain: c.key for c in customers.values() for domain in c.domains}
    return RegistrySnapshot(customers, by_address, domains, {k: tuple(v) for k, v in devices.items()})


_TICKET_STATE = (
    select(Ticket.id, Ticket.status, Ticket.customer_id, Ticket.closed_at, Ticket.coverage, Ticket.priority,
           Ticket.review, Ticket.merged_into_id, OncallNotice.ticket_id.label("notified"),
           *(getattr(Ticket, name) for name in clocks_store.COLUMNS))
    .outerjoin(OncallNotice, OncallNotice.ticket_id == Ticket.id).where(Ticket.id == bindparam("ticket")))
_NEXT_TICKET = select(func.coalesce(func.max(Ticket.id), 0) + 1)
_REFS = select(MessageRef.message_id, MessageRef.ticket_id).where(
    MessageRef.message_id.in_(bindparam("ids", expanding=True)))
_RECENT_ACKS = select(func.count(OutboxMessage.id)).where(
    OutboxMessage.recipient == bindparam("to"), OutboxMessage.kind == "ack",
    OutboxMessage.created_at > bindparam("since"), OutboxMessage.trigger_date > bindparam("written_after"),
    OutboxMessage.trigger_date < bindparam("written_before"))
_ACKS_SINCE = select(OutboxMessage.recipient, OutboxMessage.trigger_date).where(
    OutboxMessage.recipient.in_(bindparam("to", expanding=True)), OutboxMessage.kind == "ack",
    OutboxMessage.created_at > bindparam("since"), OutboxMessage.trigger_date > bindparam("written_after"),
    OutboxMessage.trigger_date < bindparam("written_before"))


MERGE_HOPS = 5  # a ticket merged into one that was merged again: followed this far


def _ticket_state(session: Session, ticket_id: int | None, keys: dict[int, str],
                  pending: Mapping[int, TicketState] | None = None) -> TicketState | None:
    """The ticket's state; for a ticket staff merged into another, the state of the one it lives on in.

    `pending`: states of tickets a batch being decided will write (they win over what is stored now).
    """
    merged_from: list[int] = []
    while ticket_id is not None:
        if pending and ticket_id in pending:
            return dataclasses.replace(pending[ticket_id], merged_from=tuple(merged_from))
        row = session.connection().execute(_TICKET_STATE, {"ticket": ticket_id}).first()
        if row is None:
            return None
        if row.merged_into_id is None or len(merged_from) >= MERGE_HOPS:
            return TicketState(row.id, TicketStatus(row.status), keys.get(row.customer_id or 0), row.closed_at,
                               override_of(row.coverage), Priority(row.priority), tuple(row.review or ()),
                               row.notified is not None, tuple(merged_from), clocks_store.clocks_of(row))
        merged_from.append(row.id)
        ticket_id = row.merged_into_id
    return None


def next_ticket_number(session: Session) -> int:
    """The number the next new ticket gets: one more than the highest (numbers are given in order, no gaps)."""
    return int(session.connection().execute(_NEXT_TICKET).scalar_one())


@dataclass
class RecentAcks:
    """Acks queued in the last hour to a batch's senders, by arrival of their trigger, read once per batch.

    It answers for a mail only when its sender is here and its own hour lies inside the window read;
    any other mail is counted by a query of its own. Acks queued by the batch itself are added as it goes.
    """

    written_after: datetime
    written_before: datetime
    by_sender: dict[str, list[datetime]]

    def count(self, sender: str, arrived: datetime) -> int | None:
        hour = timedelta(hours=1)
        if sender not in self.by_sender or not self.written_after <= arrived - hour <= arrived + hour \
                <= self.written_before:
            return None
        return sum(1 for t in self.by_sender[sender] if arrived - hour < t < arrived + hour)


def recent_acks(session: Session, mails: Iterable[tuple[ParsedMail, datetime]], now: datetime) -> RecentAcks | None:
    """The acks of the last hour to every sender of `mails` (with their arrival), triggered within an hour of
    any of their arrivals."""
    dated = [(mail.from_address, arrived) for mail, arrived in mails if mail.from_address]
    if not dated:
        return None
    hour = timedelta(hours=1)
    acks = RecentAcks(min(d for _, d in dated) - hour, max(d for _, d in dated) + hour,
                      {sender: [] for sender, _ in dated})
    rows = session.connection().execute(_ACKS_SINCE, {
        "to": list(acks.by_sender), "since": now - hour, "written_after": acks.written_after,
        "written_before": acks.written_before})
    for recipient, trigger in rows:
        if trigger is not None:
            acks.by_sender[recipient].append(trigger)
    return acks


def mail_context(session: Session, mail: ParsedMail, now: datetime, customer_keys: dict[int, str],
                 pending_refs: Mapping[str, int] | None = None,
                 acks: RecentAcks | None = None,
                 timezone: str = "Europe/Copenhagen",
                 visits_by_year: dict[int, list[tuple[int, int | None]]] | None = None,
                 next_ticket: int | None = None, arrived: datetime | None = None,
                 copies: EarlierCopies | None = None,
                 pending_tickets: Mapping[int, TicketState] | None = None) -> MailContext:
    """What the pure stages need to know from the database about this mail; only the queries it needs.

    Inside a batch, `pending_refs` are the Message-IDs earlier mails of it referenced but not written
    yet, `acks` the recent acks per sender (recent_acks) and `next_ticket` the next ticket number,
    which spares a query per mail. `arrived`: when the mail reached the mailbox (default now); the ack
    limit counts by it, never by the Date header the sender wrote. `copies`: what the raw store found.
    """
    tagged = _ticket_state(session, ticket_tag(mail.subject), customer_keys, pending_tickets)
    candidates = reference_candidates(mail.in_reply_to, mail.references)  # the nearest one we know decides
    referenced = None
    if candidates:
        refs = {c: pending_refs[c] for c in candidates if c in pending_refs} if pending_refs else {}
        refs.update((row[0], row[1]) for row in session.connection().execute(_REFS, {"ids": candidates}))
        found = next((refs[c] for c in candidates if c in refs), None)
        referenced = _ticket_state(session, found, customer_keys, pending_tickets)
    count = 0
    if mail.from_address:
        arrival, hour = arrived or now, timedelta(hours=1)
        cached = acks.count(mail.from_address, arrival) if acks is not None else None
        count = cached if cached is not None else session.connection().execute(_RECENT_ACKS, {
            "to": mail.from_address, "since": now - hour, "written_after": arrival - hour,
            "written_before": arrival + hour}).scalar() or 0
    # Service visits count in the calendar year the ticket is opened (Copenhagen): its created_at.
    year = now.astimezone(ZoneInfo(timezone)).year
    if visits_by_year is None:
        tickets = visit_tickets(session, year, timezone)
    else:  # a batch: the year's visit tickets are read once and kept up to date by the caller
        if year not in visits_by_year:
            visits_by_year[year] = visit_tickets(session, year, timezone)
        tickets = visits_by_year[year]
    return MailContext(now=now, tagged_ticket=tagged, referenced_ticket=referenced, acks_to_sender_last_hour=count,
                       visit_tickets=visits_by_customer(tickets, customer_keys), visit_year=year,
                       next_ticket_number=next_ticket if next_ticket is not None else next_ticket_number(session),
                       arrived_at=arrived, copies=copies or EarlierCopies())


