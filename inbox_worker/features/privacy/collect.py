"""Read everything an export holds for its scope, in a fixed handful of queries per kind.

A person's own tickets (they are its contact or its sender) come whole: thread, notes, time, coverage, clocks,
audit. A ticket they only wrote on (someone else's) gives just their own mails and our mail to them: another
person's words are not theirs to receive. A customer's export holds all of its tickets whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer

from inbox_worker.features.privacy.mails import StoredMail, chunks, sent_by, stored_mails
from inbox_worker.features.privacy.scope import Scope, ScopeKind
from inbox_worker.store.models import (
    AccessEntry,
    AttachmentRecord,
    AuditEntry,
    CoverageOverride,
    Customer,
    DecisionLog,
    Device,
    OutboxAttachment,
    OutboxMessage,
    ResponseEvent,
    SummarySent,
    Ticket,
    TicketDevice,
    TicketEntry,
    TimeEntry,
)

Row = TypeVar("Row")
NOTICES = frozenset({"oncall", "warning"})  # staff notices about a ticket: they name its contact


@dataclass
class Collected:
    scope: Scope
    mails: list[StoredMail]
    tickets: list[Ticket]
    own: frozenset[int]  # the tickets that are the scope's own (the rest: tickets they only wrote on)
    customer_keys: dict[int, str] = field(default_factory=dict)
    entries: dict[int, list[TicketEntry]] = field(default_factory=dict)
    left_out: int = 0  # thread entries of other people on those tickets, not exported
    devices: dict[int, list[str]] = field(default_factory=dict)  # ticket -> asset tags
    registry_devices: list[Device] = field(default_factory=list)  # the customer's, or those the person uses
    mail_attachments: list[AttachmentRecord] = field(default_factory=list)
    decisions: dict[int, list[DecisionLog]] = field(default_factory=dict)  # raw mail -> its decisions
    overrides: list[CoverageOverride] = field(default_factory=list)
    clock_events: list[ResponseEvent] = field(default_factory=list)
    time_entries: list[TimeEntry] = field(default_factory=list)
    outgoing: list[OutboxMessage] = field(default_factory=list)  # bodies deferred: read one at a time
    outgoing_attachments: list[OutboxAttachment] = field(default_factory=list)
    summaries: list[SummarySent] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    access: list[AccessEntry] = field(default_factory=list)
    contact_person_of: list[str] = field(default_factory=list)  # customers whose weekly summary goes to the person


def _rows(session: Session, model: type[Row], column: str, ids: Iterable[int], *order: str) -> list[Row]:
    """The rows of `model` whose `column` is one of `ids`, sorted by `order` and then id."""
    attribute = getattr(model, column)
    rows: list[Row] = []
    for chunk in chunks(ids):
        rows += list(session.scalars(select(model).where(attribute.in_(chunk))))
    names = (*order, "id") if hasattr(model, "id") else order
    return sorted(rows, key=lambda row: tuple(getattr(row, name) for name in names))


def _own_tickets(session: Session, scope: Scope) -> set[int]:
    if scope.kind == ScopeKind.CUSTOMER:
        return set(session.scalars(select(Ticket.id).where(Ticket.customer_id == scope.customer_id())))
    addresses = sorted(scope.addresses)
    return set(session.scalars(select(Ticket.id).where(or_(func.lower(Ticket.contact_email).in_(addresses),
                                                           func.lower(Ticket.from_address).in_(addresses)))))


def _mail_ids(session: Session, scope: Scope, own: set[int]) -> set[int]:
    if scope.kind == ScopeKind.CUSTOMER:
        assert scope.customer is not None
        return sent_by(session, scope.addresses, scope.domains, customer_key=scope.customer.key, tickets=own)
    contact = scope.contact
    return sent_by(session, scope.addresses, contacts=frozenset({contact.email.lower()}) if contact else frozenset())


def _to_them(scope: Scope, row: OutboxMessage) -> bool:
    return row.recipient.lower() in scope.addresses or any(str(a).lower() in scope.addresses for a in row.cc or [])


def _wanted_outbox(collected: Collected, row: OutboxMessage) -> bool:
    """Mail we sent them; on a ticket of their own also the staff notices about it; for a customer all of it."""
    own = row.ticket_id is not None and row.ticket_id in collected.own
    if own and collected.scope.kind == ScopeKind.CUSTOMER:
        return True
    return _to_them(collected.scope, row) or (own and row.kind in NOTICES)


def _outgoing(session: Session, collected: Collected) -> None:
    scope, tickets = collected.scope, [t.id for t in collected.tickets]
    candidates: dict[int, OutboxMessage] = {}
    lazy = defer(OutboxMessage.body)
    for chunk in chunks(tickets):
        candidates.update((r.id, r) for r in session.scalars(
            select(OutboxMessage).options(lazy).where(OutboxMessage.ticket_id.in_(chunk))))
    candidates.update((r.id, r) for r in session.scalars(
        select(OutboxMessage).options(lazy).where(func.lower(OutboxMessage.recipient).in_(sorted(scope.addresses)))))
    summaries = select(SummarySent).where(SummarySent.customer_id == scope.customer_id()) \
        if scope.kind == ScopeKind.CUSTOMER else select(SummarySent).where(SummarySent.outbox_id.in_(
            select(OutboxMessage.id).where(func.lower(OutboxMessage.recipient).in_(sorted(scope.addresses)))))
    collected.summaries = sorted(session.scalars(summaries), key=lambda s: (s.week, s.id))
    for chunk in chunks(s.outbox_id for s in collected.summaries):
        candidates.update((r.id, r) for r in session.scalars(
            select(OutboxMessage).options(lazy).where(OutboxMessage.id.in_(chunk))))
    summary_rows = {s.outbox_id for s in collected.summaries}
    collected.outgoing = [row for _id, row in sorted(candidates.items())
                          if row.id in summary_rows or _wanted_outbox(collected, row)]
    collected.outgoing_attachments = _rows(session, OutboxAttachment, "outbox_id", [r.id for r in collected.outgoing])


def _kept(collected: Collected, entry: TicketEntry, mail_ids: set[int], outgoing: set[int]) -> bool:
    own = entry.ticket_id in collected.own
    if own and collected.scope.kind == ScopeKind.CUSTOMER:
        return True
    if entry.kind == "inbound":
        return entry.raw_message_id in mail_ids
    if entry.kind == "outbound":
        return entry.outbox_id in outgoing
    return own  # notes, events, phone calls: about their own ticket


def _thread(session: Session, collected: Collected) -> None:
    mail_ids, outgoing = {m.id for m in collected.mails}, {r.id for r in collected.outgoing}
    for entry in _rows(session, TicketEntry, "ticket_id", [t.id for t in collected.tickets], "created_at"):
        if _kept(collected, entry, mail_ids, outgoing):
            collected.entries.setdefault(entry.ticket_id, []).append(entry)
        else:
            collected.left_out += 1


def _mentions(details: object, scope: Scope) -> bool:
    text = json.dumps(details, ensure_ascii=False).lower()
    if scope.kind == ScopeKind.PERSON and f'"{scope.what}"' in text:
        return True
    return any(re.search(rf"(?<![\w.+-]){re.escape(a)}(?![\w-]|\.\w)", text) for a in scope.addresses)


def _logs(session: Session, collected: Collected) -> None:
    scope, own = collected.scope, collected.own
    audit = {row.id: row for row in _rows(session, AuditEntry, "ticket_id", own)}
    loose = select(AuditEntry).where(AuditEntry.ticket_id.is_(None))
    for row in session.scalars(loose):
        if (scope.kind == ScopeKind.CUSTOMER and row.customer_id == scope.customer_id()) or \
                (scope.kind == ScopeKind.PERSON and _mentions(row.details, scope)):
            audit[row.id] = row
    collected.audit = [audit[i] for i in sorted(audit)]
    access = {row.id: row for row in _rows(session, AccessEntry, "ticket_id", own)}
    mine = AccessEntry.customer_id == scope.customer_id() if scope.kind == ScopeKind.CUSTOMER \
        else AccessEntry.what == scope.what
    access.update((row.id, row) for row in session.scalars(select(AccessEntry).where(mine)))
    collected.access = [access[i] for i in sorted(access)]


def _registry_devices(session: Session, scope: Scope) -> list[Device]:
    if scope.kind == ScopeKind.CUSTOMER:
        return list(session.scalars(select(Device).where(Device.customer_id == scope.customer_id())
                                    .order_by(Device.tag)))
    return list(session.scalars(select(Device).where(func.lower(Device.user_email).in_(sorted(scope.addresses)))
                                .order_by(Device.tag)))


def collect(session: Session, scope: Scope) -> Collected:
    own = _own_tickets(session, scope)
    found = stored_mails(session, _mail_ids(session, scope, own))
    ticket_ids = own | {m.ticket for m in found if m.ticket is not None}
    collected = Collected(scope, found, _rows(session, Ticket, "id", ticket_ids), frozenset(own))
    _outgoing(session, collected)
    _thread(session, collected)
    links = _rows(session, TicketDevice, "ticket_id", ticket_ids, "ticket_id", "device_id")
    linked = {link.device_id for link in links}
    tags = dict(session.execute(select(Device.id, Device.tag).where(Device.id.in_(linked))).all()) \
        if linked else {}
    for link in links:
        collected.devices.setdefault(link.ticket_id, []).append(tags.get(link.device_id, str(link.device_id)))
    collected.registry_devices = _registry_devices(session, scope)
    mail_ids = [m.id for m in found]
    collected.mail_attachments = _rows(session, AttachmentRecord, "raw_message_id", mail_ids, "raw_message_id")
    for decision in _rows(session, DecisionLog, "raw_message_id", mail_ids):
        collected.decisions.setdefault(decision.raw_message_id, []).append(decision)
    collected.overrides = _rows(session, CoverageOverride, "ticket_id", own, "ticket_id")
    collected.clock_events = _rows(session, ResponseEvent, "ticket_id", own, "ticket_id")
    collected.time_entries = _rows(session, TimeEntry, "ticket_id", own, "ticket_id", "work_date")
    _logs(session, collected)
    keys = {*(t.customer_id for t in collected.tickets), *(a.customer_id for a in collected.audit),
            *(a.customer_id for a in collected.access), *(s.customer_id for s in collected.summaries),
            scope.customer_id()} - {None}
    collected.customer_keys = dict(session.execute(select(Customer.id, Customer.key).where(Customer.id.in_(keys)))
                                   .all()) if keys else {}
    if scope.kind == ScopeKind.PERSON:
        collected.contact_person_of = sorted(session.scalars(select(Customer.key).where(
            func.lower(Customer.contact_person).in_(sorted(scope.addresses)))))
    return collected
