"""Write what the decision of one processed mail says, in the caller's single transaction; decide nothing.

Ticket (new, updated, reopened or raised, its response-time clocks and their events), thread entry,
message references, attachments, the outbox rows of the mail rendered from the decision
(acknowledgement, on-call notice), the decision log and the raw mail's final state: all or nothing.
Plain SQL statements (SQLAlchemy Core), not the ORM unit of work: this runs once per mail and is the
hot path of the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inbox_worker.domain.decision import Decision
from inbox_worker.domain.enums import AckStatus, Outcome, Priority, RawState, ThreadAction, TicketStatus
from inbox_worker.domain.outgoing import MailOut, OutgoingMail, StoredAttachment
from inbox_worker.domain.types import MailContext, ParsedMail, TicketState
from inbox_worker.store import response as clocks
from inbox_worker.store.models import Base, Customer, Device
from inbox_worker.store.queue_columns import look_rank, priority_rank
from inbox_worker.store.repository import RecentAcks

# Statements built once, on the tables, with bound parameters: per mail only the values change, so
# SQLAlchemy neither rebuilds nor re-hashes them (that was most of the per-mail cost).
_TABLES = Base.metadata.tables
_RAW, _TICKET, _ENTRY = _TABLES["raw_messages"], _TABLES["tickets"], _TABLES["ticket_entries"]
_OUTBOX, _REF, _ATTACHMENT = _TABLES["outbox"], _TABLES["message_refs"], _TABLES["attachments"]
_CLAIM = select(_RAW.c.id).where(_RAW.c.id.in_(bindparam("ids", expanding=True)),
                                 _RAW.c.state == RawState.PROCESSED.value).with_for_update()
# A quarantined mail taken back by staff is theirs to process only while it is still in quarantine. Its row
# is locked for the transaction (PostgreSQL), so a copy fetched meanwhile cannot supersede it (store/raw.py).
_CLAIM_AGAIN = select(_RAW.c.id, _RAW.c.state, _RAW.c.outcome).where(
    _RAW.c.id.in_(bindparam("ids", expanding=True))).with_for_update()
_INSERT_TICKET = insert(_TICKET)
_INSERT_ENTRY = insert(_ENTRY)
_INSERT_OUTBOX = insert(_OUTBOX).returning(_OUTBOX.c.id)
_INSERT_REF = insert(_REF)
_INSERT_ATTACHMENT = insert(_ATTACHMENT)
_INSERT_DECISION = insert(_TABLES["decisions"])
_INSERT_TICKET_DEVICE = insert(_TABLES["ticket_devices"])
_FINISH_RAW = update(_RAW).where(_RAW.c.id == bindparam("raw_id")).values(
    state=bindparam("state"), outcome=bindparam("outcome"), processed_at=bindparam("processed_at"),
    ticket_id=bindparam("ticket"))
# One statement per ticket update (touched, with the status the decision gives it, or reopened), and one
# more when the mail raises it.
_REOPEN_TICKET = update(_TICKET).where(_TICKET.c.id == bindparam("ticket")).values(
    updated_at=bindparam("now"), status=TicketStatus.OPEN.value, closed_at=None, version=_TICKET.c.version + 1)
_TOUCH_TICKET = update(_TICKET).where(_TICKET.c.id == bindparam("ticket")).values(
    updated_at=bindparam("now"), status=bindparam("status"), version=_TICKET.c.version + 1)
_RAISE_TICKET = update(_TICKET).where(_TICKET.c.id == bindparam("ticket")).values(
    priority=bindparam("priority"), review=bindparam("review"), look_rank=bindparam("look_rank"),
    priority_rank=bindparam("priority_rank"))
_ADD_NOTICE = insert(_TABLES["oncall_notices"])


class AlreadyProcessed(Exception):
    """Another worker finished this mail first; nothing more to write."""


@dataclass
class PendingRows:
    """Rows written together at the end of a transaction (executemany), and what later mails of it read.

    What a later mail of the same transaction needs before these rows are written is kept here and
    read into its context: `ref_tickets` (Message-IDs of this transaction, for threading), `acks`
    (the senders' acks of the last hour, read once), `visits` (the year's visit tickets, read once)
    and `next_ticket` (the number the next new ticket gets). Tickets themselves are written at once.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    finished: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    refs: list[dict[str, Any]] = field(default_factory=list)  # inserted unless known (a mail's own Message-ID)
    out_refs: list[dict[str, Any]] = field(default_factory=list)  # our own, new Message-IDs
    clock_events: list[dict[str, Any]] = field(default_factory=list)  # response_events of the tickets written
    ref_tickets: dict[str, int] = field(default_factory=dict)
    acks: RecentAcks | None = None
    visits: dict[int, list[tuple[int, int | None]]] = field(default_factory=dict)  # year -> (ticket, customer)
    already_processed: set[int] = field(default_factory=set)
    # Deciding a batch before its transaction (expect): the states its tickets will have once written.
    ticket_states: dict[int, TicketState] = field(default_factory=dict)
    opened_tickets: bool = False
    next_ticket: int | None = None  # the number the next new ticket of this transaction gets

    def reset(self) -> None:
        """Forget what is pending (it went with a rollback)."""
        for rows in (self.entries, self.decisions, self.finished, self.attachments, self.refs, self.out_refs,
                     self.clock_events):
            rows.clear()
        self.ref_tickets.clear()
        self.acks = None
        self.visits.clear()
        self.already_processed.clear()
        self.ticket_states.clear()
        self.opened_tickets = False
        self.next_ticket = None

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
                                (_FINISH_RAW, self.finished), (clocks.INSERT_EVENTS, self.clock_events)):
            if rows:
                connection.execute(statement, rows)
        if self.opened_tickets:
            _advance_ticket_sequence(connection)
        self.reset()


@dataclass(frozen=True)
class RegistryIds:
    """Database ids of registry rows by their stable keys, loaded with the registry snapshot."""

    customers: dict[str, int]
    devices: dict[str, int]

    @classmethod
    def load(cls, session: Session) -> RegistryIds:
        return cls(dict(session.execute(select(Customer.key, Customer.id)).all()),
                   dict(session.execute(select(Device.tag, Device.id)).all()))


def claim_raws(connection: Connection, raw_ids: list[int], rows: PendingRows,
               again: frozenset[int] = frozenset()) -> None:
    """Take the write turn for this transaction, then note the batch's mails another worker finished before it.

    Transactions that write mail take turns (SQLite: BEGIN IMMEDIATE holds the write lock; PostgreSQL:
    the advisory lock of lock_ticket_numbers), so once it is ours nobody else can finish these mails
    any more, and one look per batch is enough. `again`: quarantined mails being processed again
    (quarantine reprocess), done already unless they are still in quarantine.
    """
    lock_ticket_numbers(connection)
    first, second = [i for i in raw_ids if i not in again], [i for i in raw_ids if i in again]
    if first:
        rows.already_processed.update(connection.execute(_CLAIM, {"ids": first}).scalars())
    if second:
        rows.already_processed.update(
            row.id for row in connection.execute(_CLAIM_AGAIN, {"ids": second})
            if (row.state, row.outcome) != (RawState.PROCESSED.value, Outcome.QUARANTINED.value))


# Ticket numbers are handed out in order without gaps (the next is read into the mail's context), so
# the transactions that open tickets take turns: on SQLite BEGIN IMMEDIATE already does that.
_TICKET_NUMBERS_LOCK = 4711_0001


def lock_ticket_numbers(connection: Connection) -> None:
    """Hold the right to open tickets until this transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TICKET_NUMBERS_LOCK})


def _advance_ticket_sequence(connection: Connection) -> None:
    """PostgreSQL: keep the serial's sequence past the numbers given out, for any insert that relies on it."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                                "(SELECT max(id) FROM tickets))"))


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


def _new_ticket(connection: Connection, rows: PendingRows, decision: Decision, mail: ParsedMail, ids: RegistryIds,
                now: datetime, from_address: str | None, actor: str | None = None) -> int:
    """Insert the ticket the decision opens, under the number the decision gave it (every ticket starts here)."""
    assert decision.ticket is not None and decision.coverage is not None and decision.thread is not None
    customer = ids.customers.get(decision.customer) if decision.customer else None
    response = decision.response
    started = clocks.clock_values(response.changes[-1]) if response is not None and response.changes else {}
    connection.execute(_INSERT_TICKET, {
        "id": decision.ticket, "subject": (mail.subject or "(intet emne)")[:1000], "status": TicketStatus.OPEN.value,
        "customer_id": customer, "contact_email": decision.contact,
        "from_address": from_address,
        "category": decision.category, "priority": decision.priority, "language": decision.language,
        "coverage": decision.coverage.as_dict(), "review": list(decision.review),
        "previous_ticket_id": decision.thread.previous_ticket, "created_at": now, "updated_at": now,
        "closed_at": None, "assignee": decision.assignee, **started,
    })
    if response is not None:
        rows.clock_events += clocks.decided_events(decision.ticket, response, actor)
    rows.opened_tickets = True
    rows.next_ticket = decision.ticket + 1
    devices = [{"ticket_id": decision.ticket, "device_id": ids.devices[tag]}
               for tag in decision.devices if tag in ids.devices]
    if devices:
        connection.execute(_INSERT_TICKET_DEVICE, devices)
    return decision.ticket


def ticket_of(decision: Decision) -> int | None:
    """The ticket a mail's decision writes to: the one it opens or continues; none for automatic mail
    that belongs to no ticket, a quarantined mail or a duplicate."""
    thread = decision.thread
    if thread is None or decision.outcome in (Outcome.QUARANTINED, Outcome.DUPLICATE):
        return None
    if thread.action == ThreadAction.NEW:
        return None if decision.outcome == Outcome.IGNORED else decision.ticket  # automatic mail opens none
    return thread.ticket


def _ticket_for(connection: Connection, rows: PendingRows, decision: Decision, mail: ParsedMail,
                ids: RegistryIds, now: datetime) -> int | None:
    """The ticket this mail belongs to, opened, updated, reopened or raised as the decision says."""
    thread, ticket = decision.thread, ticket_of(decision)
    if thread is None or ticket is None:
        return None
    if thread.action == ThreadAction.NEW:
        return _new_ticket(connection, rows, decision, mail, ids, now, mail.from_address)
    if decision.outcome == Outcome.IGNORED:  # automatic mail is attached, but is no customer activity
        return thread.ticket
    change = decision.ticket_change
    assert change is not None, "a mail that continues a ticket says what becomes of it"
    if thread.action == ThreadAction.REOPEN:
        connection.execute(_REOPEN_TICKET, {"ticket": thread.ticket, "now": now})
    else:
        connection.execute(_TOUCH_TICKET, {"ticket": thread.ticket, "now": now, "status": change.status})
    if change.priority is not None and change.review is not None:
        connection.execute(_RAISE_TICKET, {
            "ticket": thread.ticket, "priority": change.priority, "review": list(change.review),
            "look_rank": look_rank(change.review, change.priority), "priority_rank": priority_rank(change.priority)})
    if decision.response is not None and decision.response.changes:
        clocks.update_clocks(connection, ticket, decision.response.changes[-1])
        rows.clock_events += clocks.decided_events(ticket, decision.response)
    return ticket


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
    if rows is not None and rows.acks is not None and outgoing.kind == "ack" and trigger is not None \
            and outgoing.recipient in rows.acks.by_sender:
        rows.acks.by_sender[outgoing.recipient].append(trigger)
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


def _expected_state(decision: Decision, context: MailContext, ids: RegistryIds, ticket: int) -> TicketState | None:
    """The ticket's state as the database will read it once this decision is written (see expect)."""
    thread, change = decision.thread, decision.ticket_change
    if thread is None or decision.outcome == Outcome.IGNORED:
        return None  # automatic mail changes no ticket
    response = decision.response
    if thread.action == ThreadAction.NEW:
        return TicketState(ticket, TicketStatus.OPEN, decision.customer if decision.customer in ids.customers else None,
                           None, None, Priority(decision.priority or Priority.NORMAL), tuple(decision.review),
                           decision.oncall is not None, clocks=clocks.as_stored(response.clocks) if response else None)
    before = context.ticket_state(thread)
    if before is None or change is None:
        return None
    raised = change.priority is not None and change.review is not None
    moved = clocks.as_stored(response.clocks) if response is not None and response.changes else before.clocks
    return replace(before, status=TicketStatus.OPEN if thread.action == ThreadAction.REOPEN else change.status,
                   closed_at=None if thread.action == ThreadAction.REOPEN else before.closed_at,
                   priority=change.priority if raised and change.priority is not None else before.priority,
                   review=change.review if raised and change.review is not None else before.review,
                   oncall_notified=before.oncall_notified or decision.oncall is not None, merged_from=(),
                   clocks=moved)


def expect(rows: PendingRows, decision: Decision, mail: ParsedMail, out: MailOut, ids: RegistryIds,
           arrived: datetime, context: MailContext) -> None:
    """What `apply` would leave in `rows` for the later mails of a batch to read, without writing anything.

    For deciding a batch before its write transaction (mail/runner.py): each later mail's context is
    then what it will be in the transaction. Should this ever differ from `apply`, nothing goes wrong:
    the transaction reads every context again and decides again whatever it finds changed.
    """
    ticket = ticket_of(decision)
    if ticket is None:
        return
    if decision.thread is not None and decision.thread.action == ThreadAction.NEW:
        rows.next_ticket = ticket + 1
    state = _expected_state(decision, context, ids, ticket)
    if state is not None:
        rows.ticket_states[ticket] = state
    if mail.message_id:
        rows.add_ref(mail.message_id, ticket, "in")
    if decision.oncall is not None and out.oncall is not None:
        rows.add_ref(out.oncall.message_id, ticket, "out")
    if decision.ack == AckStatus.QUEUED and out.ack is not None:
        rows.add_ref(out.ack.message_id, ticket, "out")
        if rows.acks is not None and out.ack.recipient in rows.acks.by_sender:
            rows.acks.by_sender[out.ack.recipient].append(arrived)
    if decision.visit_year is not None and decision.visit_year in rows.visits:
        rows.visits[decision.visit_year].append((ticket, ids.customers.get(decision.customer or "")))


def apply(connection: Connection, rows: PendingRows, decision: Decision, mail: ParsedMail, raw_id: int,
          out: MailOut, attachments: Sequence[StoredAttachment], ids: RegistryIds, now: datetime,
          arrived: datetime | None = None) -> None:
    """Write everything the decision of one processed mail says, with the mail rendered from it.

    `arrived`: when the mail reached the mailbox; the ack limit counts acks by it (default: now).
    """
    _check_unclaimed(rows, raw_id)
    ticket = _ticket_for(connection, rows, decision, mail, ids, now)
    if ticket is not None:
        rows.entries.append(_entry(ticket_id=ticket, kind="inbound", raw_message_id=raw_id, author=mail.from_address,
                                   subject=mail.subject, body_text=mail.body_text, created_at=now))
        if mail.message_id:
            rows.add_ref(mail.message_id, ticket, "in")
    rows.attachments += [{
        "raw_message_id": raw_id, "ticket_id": ticket, "filename": a.filename, "content_type": a.content_type[:200],
        "size": a.size, "sha256": a.sha256, "stored_path": a.stored_path, "skipped_reason": a.skipped_reason}
        for a in attachments]
    if ticket is not None:
        _queue_oncall(connection, rows, decision, out, ticket, now)
    if ticket is not None and decision.ack == AckStatus.QUEUED and out.ack is not None:
        queue_mail(connection, out.ack, ticket, arrived or now, now, rows)
    if decision.visit_year is not None and decision.visit_year in rows.visits and ticket is not None:
        rows.visits[decision.visit_year].append((ticket, ids.customers.get(decision.customer or "")))
    finish(rows, raw_id, ticket, decision, now)


def open_call(connection: Connection, decision: Decision, call: ParsedMail, out: MailOut, ids: RegistryIds,
              author: str, now: datetime) -> int:
    """Write a ticket opened by staff for a phone call, as its decision says (no raw mail, no decision log)."""
    rows = PendingRows()
    ticket = _new_ticket(connection, rows, decision, call, ids, now, from_address=None, actor=author)
    rows.entries.append(_entry(ticket_id=ticket, kind="phone", author=author, subject=decision.subject,
                               body_text=call.body_text, created_at=now))
    _queue_oncall(connection, rows, decision, out, ticket, now)
    rows.flush(connection)
    return ticket


def _queue_oncall(connection: Connection, rows: PendingRows, decision: Decision, out: MailOut, ticket: int,
                  now: datetime) -> None:
    """The ticket's one on-call notice: its outbox row and the `oncall_notices` row, together."""
    if decision.oncall is None or out.oncall is None:
        return
    outbox_id = queue_mail(connection, out.oncall, ticket, None, now, rows)
    connection.execute(_ADD_NOTICE, {"ticket_id": ticket, "outbox_id": outbox_id,
                                     "recipient": decision.oncall.recipient,
                                     "outside_hours": decision.oncall.outside_hours, "created_at": now})


def finish(rows: PendingRows, raw_id: int, ticket: int | None, decision: Decision, now: datetime) -> None:
    """Log the decision and mark the raw mail processed with its outcome (written at the flush)."""
    outcome = str(decision.outcome)
    rows.decisions.append({"raw_message_id": raw_id, "ticket_id": ticket, "outcome": outcome,
                           "decision": decision.as_json(), "trace": decision.trace_json(), "created_at": now})
    rows.finished.append({"raw_id": raw_id, "state": RawState.PROCESSED.value, "outcome": outcome,
                          "processed_at": now, "ticket": ticket})


def record_quarantine(rows: PendingRows, raw_id: int, decision: Decision, now: datetime) -> None:
    """A mail that could not be parsed or processed: kept with its reason, in the caller's transaction."""
    _check_unclaimed(rows, raw_id)
    finish(rows, raw_id, None, decision, now)
