"""The repository's reads and the raw store: registry snapshots, per-mail context, storing raw bytes first.

The writes of a finished WorkItem live in store/apply.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_worker.domain.types import (
    ContactInfo,
    CustomerInfo,
    DeviceInfo,
    MailContext,
    ParsedMail,
    RawState,
    RegistrySnapshot,
    TicketState,
    TicketStatus,
)
from inbox_worker.mail.decide.thread import ticket_tag
from inbox_worker.store.coverage_queries import count_visits, override_of, visit_tickets, visits_this_year
from inbox_worker.store.models import (
    Contact,
    Customer,
    DecisionLog,
    Device,
    MailboxState,
    MessageRef,
    OutboxMessage,
    RawBlob,
    RawMessage,
    Ticket,
)


@dataclass(frozen=True)
class StoredRaw:
    id: int
    already_processed: bool
    previous_decision: dict[str, Any] | None
    duplicate_of: int | None = None  # index of the same mail earlier in the same batch


def _header_end(raw: bytes) -> int:
    """Where the header block ends (after the newline before the first empty line; LF or CRLF), at most 64 KiB.

    The header parser stops at the first empty line anyway; cutting there spares it splitting the body
    into lines (IMAP hands mail over with CRLF line ends, where a search for LF LF finds nothing).
    """
    ends = [end + 1 for end in (raw.find(b"\n\n", 0, 65536), raw.find(b"\n\r\n", 0, 65536)) if end >= 0]
    return min(ends, default=65536)


_MESSAGE_ID_LINE = re.compile(rb"^message-id[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.IGNORECASE | re.MULTILINE)


def header_message_id(raw: bytes) -> str | None:
    """The Message-ID from the header block only: cheap, and done before any real parsing.

    A plain scan for the (first) Message-ID line; an unusual one (non-ASCII) goes through the
    stdlib header parser, which gives the same answer for the rest.
    """
    head = raw[:_header_end(raw)]
    match = _MESSAGE_ID_LINE.search(head)
    if match is None:
        return None
    if match.group(1).isascii():
        value = match.group(1).decode("ascii")
        start, end = value.find("<"), value.find(">")
        return value[start : end + 1] if 0 <= start < end else None
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get("message-id")
    except Exception:
        return None
    if not value:
        return None
    value = str(value).strip()
    start, end = value.find("<"), value.find(">")
    return value[start : end + 1] if 0 <= start < end else None


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


_TICKET_STATE = select(Ticket.id, Ticket.status, Ticket.customer_id, Ticket.closed_at, Ticket.coverage).where(
    Ticket.id == bindparam("ticket"))
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


def _ticket_state(session: Session, ticket_id: int | None, keys: dict[int, str]) -> TicketState | None:
    if ticket_id is None:
        return None
    row = session.connection().execute(_TICKET_STATE, {"ticket": ticket_id}).first()
    if row is None:
        return None
    return TicketState(row.id, TicketStatus(row.status), keys.get(row.customer_id or 0), row.closed_at,
                       override_of(row.coverage))


def recent_acks(session: Session, mails: Iterable[ParsedMail], now: datetime) -> dict[str, list[datetime]]:
    """For each sender of `mails`: the trigger dates of the acks queued to them in the last hour, as far as
    mail_context counts them (triggered within an hour of one of the mails' dates). One query per batch.
    """
    senders = {mail.from_address: mail.date or now for mail in mails if mail.from_address}
    found: dict[str, list[datetime]] = {sender: [] for sender in senders}
    if found:
        hour = timedelta(hours=1)
        rows = session.connection().execute(_ACKS_SINCE, {
            "to": list(found), "since": now - hour, "written_after": min(senders.values()) - hour,
            "written_before": max(senders.values()) + hour})
        for recipient, trigger in rows:
            if trigger is not None:
                found[recipient].append(trigger)
    return found


def mail_context(session: Session, mail: ParsedMail, now: datetime, customer_keys: dict[int, str],
                 pending_refs: Mapping[str, int] | None = None,
                 acks: Mapping[str, list[datetime]] | None = None,
                 timezone: str = "Europe/Copenhagen",
                 visits_by_year: dict[int, list[tuple[int, int | None]]] | None = None) -> MailContext:
    """What the pure stages need to know from the database about this mail; only the queries it needs.

    Inside a batch, `pending_refs` are the Message-IDs earlier mails of it referenced but not written
    yet, and `acks` the recent acks per sender (recent_acks), which spares a query per mail.
    """
    tagged = _ticket_state(session, ticket_tag(mail.subject), customer_keys)
    # In-Reply-To first, then References from newest to oldest: the closest ancestor we know decides.
    candidates = [*mail.in_reply_to, *reversed(mail.references)][:50]
    referenced = None
    if candidates:
        refs = {c: pending_refs[c] for c in candidates if c in pending_refs} if pending_refs else {}
        refs.update((row[0], row[1]) for row in session.connection().execute(_REFS, {"ids": candidates}))
        found = next((refs[c] for c in candidates if c in refs), None)
        referenced = _ticket_state(session, found, customer_keys)
    count = 0
    if mail.from_address:
        written, hour = mail.date or now, timedelta(hours=1)
        if acks is not None and mail.from_address in acks:
            count = sum(1 for t in acks[mail.from_address] if written - hour < t < written + hour)
        else:
            count = session.connection().execute(_RECENT_ACKS, {
                "to": mail.from_address, "since": now - hour, "written_after": written - hour,
                "written_before": written + hour}).scalar() or 0
    threaded = [state.number for state in (tagged, referenced) if state is not None]
    year = (mail.date or now).astimezone(ZoneInfo(timezone)).year
    if visits_by_year is None:
        visits = visits_this_year(session, year, timezone, customer_keys, threaded)
    else:  # a batch: the year's visit tickets are read once and kept up to date by the caller
        if year not in visits_by_year:
            visits_by_year[year] = visit_tickets(session, year, timezone)
        visits = count_visits(visits_by_year[year], customer_keys, threaded)
    return MailContext(now=now, tagged_ticket=tagged, referenced_ticket=referenced, acks_to_sender_last_hour=count,
                       visits_this_year=visits)


@dataclass(frozen=True)
class RawInput:
    raw: bytes
    source: str
    uid: int | None = None


def dedupe_key(raw: bytes) -> tuple[str, str | None, str]:
    """(key, Message-ID, sha256): the Message-ID when the mail has one, else the hash of its bytes."""
    message_id = header_message_id(raw)
    sha = hashlib.sha256(raw).hexdigest()
    return message_id or f"sha256:{sha}", message_id, sha


_LOOKUP = select(RawMessage.id, RawMessage.dedupe_key, RawMessage.state).where(
    RawMessage.dedupe_key.in_(bindparam("keys", expanding=True)))
_INSERT_RAWS = insert(RawMessage).returning(RawMessage.id, sort_by_parameter_order=True)
_INSERT_BLOB = insert(RawBlob)
_ADVANCE_UID = (update(MailboxState).where(MailboxState.mailbox == bindparam("box"),
                                           MailboxState.last_uid < bindparam("uid"))
                .values(last_uid=bindparam("uid"), updated_at=bindparam("now")))


def store_raws(session: Session, items: list[RawInput], now: datetime, mailbox: str | None = None) -> list[StoredRaw]:
    """Store a batch of raw mails in one commit, each unless stored before (dedupe by Message-ID, else sha256).

    For IMAP mail the highest UID is recorded as seen for its mailbox in the same commit as the bytes.
    A mail whose key appeared earlier in the same batch gets `duplicate_of`, the index of the first.
    """
    keys = [dedupe_key(item.raw) for item in items]
    connection = session.connection()
    known = {row.dedupe_key: row for row in connection.execute(_LOOKUP, {"keys": [k for k, _, _ in keys]})}
    first_index: dict[str, int] = {}
    new_rows: list[dict[str, Any]] = []
    new_raws: list[bytes] = []
    for index, (item, (key, message_id, sha)) in enumerate(zip(items, keys, strict=True)):
        if key in known or key in first_index:
            first_index.setdefault(key, index)
            continue
        first_index[key] = index
        new_rows.append({
            "dedupe_key": key, "message_id": message_id, "sha256": sha, "size": len(item.raw),
            "source": item.source[:500], "source_uid": item.uid, "received_at": now,
            "state": RawState.RECEIVED.value, "outcome": None, "ticket_id": None, "processed_at": None,
        })
        new_raws.append(item.raw)
    ids: dict[str, int] = {}
    if new_rows:  # one multi-row INSERT ... RETURNING, ids in the order of the rows
        returned = connection.execute(_INSERT_RAWS, new_rows).scalars().all()
        ids = {row["dedupe_key"]: int(raw_id) for row, raw_id in zip(new_rows, returned, strict=True)}
        connection.execute(_INSERT_BLOB, [{"raw_message_id": ids[row["dedupe_key"]], "raw": raw}
                                          for row, raw in zip(new_rows, new_raws, strict=True)])
    uids = [item.uid for item in items if item.uid is not None]
    if mailbox is not None and uids:
        connection.execute(_ADVANCE_UID, {"box": mailbox, "uid": max(uids), "now": now})
    session.commit()
    result = []
    for index, (key, _, _) in enumerate(keys):
        if key in known:  # stored by an earlier run: processed (a duplicate) or interrupted (redo)
            row = known[key]
            done = row.state == RawState.PROCESSED
            result.append(StoredRaw(row.id, done, previous_decision(session, row.id) if done else None,
                                    None if first_index[key] == index else first_index[key]))
        else:
            result.append(StoredRaw(ids[key], False, None, None if first_index[key] == index else first_index[key]))
    return result


def store_raw(session: Session, raw: bytes, source: str, uid: int | None, now: datetime,
              mailbox: str | None = None) -> StoredRaw:
    """Store one raw mail (see store_raws)."""
    try:
        return store_raws(session, [RawInput(raw, source, uid)], now, mailbox)[0]
    except IntegrityError:  # another worker stored it between our look and our insert
        session.rollback()
        return store_raws(session, [RawInput(raw, source, uid)], now, mailbox)[0]


def previous_decision(session: Session, raw_id: int) -> dict[str, Any] | None:
    return session.scalar(select(DecisionLog.decision).where(DecisionLog.raw_message_id == raw_id)
                          .order_by(DecisionLog.id.desc()).limit(1))
