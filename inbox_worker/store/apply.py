"""Write what one processed mail changes, in the caller's single transaction.

Ticket, thread entry, message references, attachments, the acknowledgement's outbox row, the
decision log and the raw mail's final state: all or nothing. Plain SQL statements (SQLAlchemy
Core), not the ORM unit of work: this runs once per mail and is the hot path of the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inbox_worker.domain.types import Outcome, RawState, ThreadAction, TicketStatus, WorkItem
from inbox_worker.store.models import (
    Base,
    Customer,
    Device,
)

# Statements built once, on the tables, with bound parameters: per mail only the values change, so
# SQLAlchemy neither rebuilds nor re-hashes them (that was most of the per-mail cost).
_TABLES = Base.metadata.tables
_RAW, _TICKET, _ENTRY = _TABLES["raw_messages"], _TABLES["tickets"], _TABLES["ticket_entries"]
_OUTBOX, _REF, _ATTACHMENT = _TABLES["outbox"], _TABLES["message_refs"], _TABLES["attachments"]
_CLAIM = select(_RAW.c.id).where(_RAW.c.id.in_(bindparam("ids", expanding=True)),
                                 _RAW.c.state == RawState.PROCESSED.value).with_for_update()
_INSERT_TICKET = insert(_TICKET).returning(_TICKET.c.id)
_INSERT_ENTRY = insert(_ENTRY)
_INSERT_OUTBOX = insert(_OUTBOX).returning(_OUTBOX.c.id)
_INSERT_REF = insert(_REF)
_INSERT_ATTACHMENT = insert(_ATTACHMENT)
_INSERT_DECISION = insert(_TABLES["decisions"])
_INSERT_TICKET_DEVICE = insert(_TABLES["ticket_devices"])
_FINISH_RAW = update(_RAW).where(_RAW.c.id == bindparam("raw_id")).values(
    state=bindparam("state"), outcome=bindparam("outcome"), processed_at=bindparam("processed_at"),
    ticket_id=bindparam("ticket"))
# One statement per ticket update: touched and reopened, or touched and (if waiting for the customer) open.
_REOPEN_TICKET = update(_TICKET).where(_TICKET.c.id == bindparam("ticket")).values(
    updated_at=bindparam("now"), status=TicketStatus.OPEN.value, closed_at=None)
_UNWAIT_TICKET = update(_TICKET).where(_TICKET.c.id == bindparam("ticket")).values(
    updated_at=bindparam("now"),
    status=case((_TICKET.c.status == TicketStatus.WAITING.value, TicketStatus.OPEN.value), else_=_TICKET.c.status))


class AlreadyProcessed(Exception):
    """Another worker finished this mail first; nothing more to write."""


@dataclass
class PendingRows:
    """Rows written together at the end of a transaction (executemany), and what later mails of it read.

    Message-ID references are read by later mails of the same transaction (threading): `ref_tickets`
    answers for those not written yet. `acks` holds, per sender of the batch, the trigger dates of the
    acks sent to them in the last hour (read once per batch, then kept up to date here).
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    finished: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    refs: list[dict[str, Any]] = field(default_factory=list)  # inserted unless known (a mail's own Message-ID)
    out_refs: list[dict[str, Any]] = field(default_factory=list)  # our own, new Message-IDs
    ref_tickets: dict[str, int] = field(default_factory=dict)
    acks: dict[str, list[datetime]] = field(default_factory=dict)
    visits: dict[int, list[tuple[int, int | None]]] = field(default_factory=dict)  # year -> (ticket, customer)
    already_processed: set[int] = field(default_factory=set)

    def reset(self) -> None:
        """Forget what is pending (it went with a rollback)."""
        for rows in (self.entries, self.decisions, self.finished, self.attachments, self.refs, self.out_refs):
            rows.clear()
        self.ref_tickets.clear()
        self.acks.clear()
        self.visits.clear()
        self.already_processed.clear()

    def add_ref(self, message_id: str, ticket: int, direction: str) -> None:
        """Remember a Message-ID for threading (an inbound one unless known already: the first ticket wins)."""
        row = {"message_id": message_id, "ticket_id": ticket, "direction": direction}
        if direction == "out":
            self.out_refs.append(row)
            self.ref_tickets[message_id] = ticket
        elif message_id not in self.ref_tickets:
            self.refs.append(row)
            self.ref_tickets[message_id] = ticket

    def flush(self, connection: Connection) -> None:
        insert_refs_if_new(connection, self.refs)
        for statement, rows in ((_INSERT_REF, self.out_refs), (_INSERT_ENTRY, self.entries),
                                (_INSERT_DECISION, self.decisions), (_INSERT_ATTACHMENT, self.attachments),
                                (_FINISH_RAW, self.finished)):
            if rows:
                connection.execute(statement, rows)
        self.reset()


@dataclass(frozen=True)
class OutgoingMail:
    kind: str
    recipient: str
    message_id: str
    subject: str
    body: bytes


@dataclass(frozen=True)
class RegistryIds:
    """Database ids of registry rows by their stable keys, loaded with the registry snapshot."""

    customers: dict[str, int]
    devices: dict[str, int]
    # Customer key -> initials of the customer's personal contact at MICO: new tickets are assigned to them.
    managers: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> RegistryIds:
        return cls(dict(session.execute(select(Customer.key, Customer.id)).all()),
                   dict(session.execute(select(Device.tag, Device.id)).all()),
                   dict(session.execute(select(Customer.key, Customer.account_manager)).all()))


def claim_raws(connection: Connection, raw_ids: list[int], rows: PendingRows) -> None:
    """Lock the batch's raw rows for this transaction and note those another worker finished meanwhile.

    Inside the transaction nobody else can finish them any more (PostgreSQL: FOR UPDATE; SQLite:
    BEGIN IMMEDIATE holds the write lock), so one look per batch is enough.
    """
    if raw_ids:
        rows.already_processed.update(connection.execute(_CLAIM, {"ids": raw_ids}).scalars())


def _check_unclaimed(rows: PendingRows, raw_id: int) -> None:
    if raw_id in rows.already_processed:
        raise AlreadyProcessed(raw_id)


_INSERT_REF_IF_NEW = {
    "postgresql": postgresql.insert(_REF).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_REF).on_conflict_do_nothing(),
}


def insert_refs_if_new(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Remember Message-IDs for threading, each unless known already (INSERT ... ON CONFLICT DO NOTHING)."""
    statement = _INSERT_REF_IF_NEW.get(connection.dialect.name)
    if statement is not None and rows:
        connection.execute(statement, rows)
    elif statement is None:
        for values in rows:
            if connection.execute(select(_REF.c.ticket_id).where(
                    _REF.c.message_id == values["message_id"])).first() is None:
                connection.execute(_INSERT_REF, values)


def _new_ticket(connection: Connection, item: WorkItem, ids: RegistryIds, now: datetime) -> int:
    mail, link, classification, coverage = item.parsed, item.link, item.classification, item.coverage
    assert link is not None and classification is not None and coverage is not None and item.thread is not None
    number = connection.execute(_INSERT_TICKET, {
        "subject": (mail.subject or "(intet emne)")[:1000], "status": TicketStatus.OPEN.value,
        "customer_id": ids.customers.get(link.customer) if link.customer else None,
        "contact_email": link.contact, "from_address": mail.from_address, "category": classification.category,
        "priority": classification.priority, "language": classification.language, "coverage": coverage.as_dict(),
        "review": list(item.review), "previous_ticket_id": item.thread.previous_ticket, "created_at": now,
        "updated_at": now, "closed_at": None, "assignee": ids.managers.get(link.customer) if link.customer else None,
    }).scalar_one()
    for tag in link.devices:
        if tag in ids.devices:
            connection.execute(_INSERT_TICKET_DEVICE, {"ticket_id": number, "device_id": ids.devices[tag]})
    return int(number)


def _ticket_for(connection: Connection, item: WorkItem, ids: RegistryIds, now: datetime) -> int | None:
    """The ticket this mail belongs to, opening, updating or reopening it as the thread decision says."""
    thread = item.thread
    if thread is None or item.outcome == Outcome.QUARANTINED:
        return None
    if thread.action == ThreadAction.NEW:
        return None if item.outcome == Outcome.IGNORED else _new_ticket(connection, item, ids, now)
    if item.outcome == Outcome.IGNORED:  # automatic mail is attached, but is no customer activity
        return thread.ticket
    # A customer's answer ends "waiting for the customer"; a reopen opens a closed ticket.
    statement = _REOPEN_TICKET if thread.action == ThreadAction.REOPEN else _UNWAIT_TICKET
    result = connection.execute(statement, {"ticket": thread.ticket, "now": now})
    return thread.ticket if getattr(result, "rowcount", 1) else None


def _entry(**values: Any) -> dict[str, Any]:
    return {"raw_message_id": None, "outbox_id": None, "author": None, "subject": None, "body_text": "",
            **values}


def queue_mail(connection: Connection, outgoing: OutgoingMail, ticket: int | None, trigger: datetime | None,
               now: datetime, rows: PendingRows | None = None) -> int:
    """An outbox row (and, for a ticket's mail, its thread entry and Message-ID reference)."""
    outbox_id = connection.execute(_INSERT_OUTBOX, {
        "kind": outgoing.kind, "ticket_id": ticket, "recipient": outgoing.recipient,
        "message_id": outgoing.message_id, "subject": outgoing.subject, "body": outgoing.body,
        "status": "queued", "attempts": 0, "next_attempt_at": now, "claimed_at": None, "last_error": None,
        "created_at": now, "sent_at": None, "trigger_date": trigger,
    }).scalar_one()
    if rows is not None and outgoing.kind == "ack" and trigger is not None and outgoing.recipient in rows.acks:
        rows.acks[outgoing.recipient].append(trigger)
    if ticket is not None:
        entry = _entry(ticket_id=ticket, kind="outbound", outbox_id=outbox_id, author="system",
                       subject=outgoing.subject, created_at=now)
        if rows is not None:  # pending with the inbound entry it answers, so the thread keeps its order
            rows.add_ref(outgoing.message_id, ticket, "out")
            rows.entries.append(entry)
        else:
            connection.execute(_INSERT_REF, {"message_id": outgoing.message_id, "ticket_id": ticket,
                                             "direction": "out"})
            connection.execute(_INSERT_ENTRY, entry)
    return int(outbox_id)


def apply(session: Session, rows: PendingRows, item: WorkItem, raw_id: int, now: datetime, ids: RegistryIds,
          compose_ack: Callable[[int, WorkItem], OutgoingMail],
          save_attachment: Callable[[bytes, str], tuple[str | None, str | None]],
          decision_of: Callable[[WorkItem, int | None, str, str | None], dict[str, Any]],
          trace_of: Callable[[WorkItem], list[Any]],
          after_ticket: Callable[[Connection, int, WorkItem], None] | None = None) -> dict[str, Any]:
    """Write everything one processed mail changes; returns the decision object.

    `after_ticket` runs once the mail has its ticket, before the decision is logged (escalation, on-call).
    """
    connection = session.connection()
    _check_unclaimed(rows, raw_id)
    mail = item.parsed
    ticket = _ticket_for(connection, item, ids, now)
    if ticket is not None:
        rows.entries.append(_entry(ticket_id=ticket, kind="inbound", raw_message_id=raw_id, author=mail.from_address,
                                   subject=mail.subject, body_text=mail.body_text, created_at=now))
        if mail.message_id:
            rows.add_ref(mail.message_id, ticket, "in")
    for attachment in mail.attachments:
        path, skipped = save_attachment(attachment.payload, attachment.sha256)
        rows.attachments.append({
            "raw_message_id": raw_id, "ticket_id": ticket, "filename": attachment.filename,
            "content_type": attachment.content_type[:200], "size": attachment.size, "sha256": attachment.sha256,
            "stored_path": path, "skipped_reason": skipped})
    if ticket is not None and after_ticket is not None and item.outcome != Outcome.IGNORED:
        after_ticket(connection, ticket, item)
    ack_status, ack_reason = "none", None
    if item.ack is not None and item.ack.reason:
        ack_status, ack_reason = "suppressed", item.ack.reason
    elif item.ack is not None and item.ack.send and ticket is not None:
        queue_mail(connection, compose_ack(ticket, item), ticket, mail.date or now, now, rows)
        ack_status = "queued"
    decision = decision_of(item, ticket, ack_status, ack_reason)
    finish(rows, raw_id, ticket, decision, trace_of(item), now)
    return decision


def finish(rows: PendingRows, raw_id: int, ticket: int | None, decision: dict[str, Any], trace: list[Any],
           now: datetime) -> None:
    """Log the decision and mark the raw mail processed with its outcome (written at the flush)."""
    outcome = decision["outcome"]
    rows.decisions.append({"raw_message_id": raw_id, "ticket_id": ticket, "outcome": outcome, "decision": decision,
                           "trace": trace, "created_at": now})
    rows.finished.append({"raw_id": raw_id, "state": RawState.PROCESSED.value, "outcome": outcome,
                          "processed_at": now, "ticket": ticket})


def record_quarantine(rows: PendingRows, raw_id: int, decision: dict[str, Any], trace: list[Any],
                      now: datetime) -> None:
    """A mail that could not be parsed or processed: kept with its reason, in the caller's transaction."""
    _check_unclaimed(rows, raw_id)
    finish(rows, raw_id, None, decision, trace, now)
