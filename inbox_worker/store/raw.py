"""The raw store: every fetched mail's bytes, committed first, and its identity for dedupe.

Nothing happens to a mail before its bytes are here (with sha256 and Message-ID); a mail stored
but not processed before a crash is processed on the next run, and the same mail twice is found.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import RawState
from inbox_worker.domain.vocabulary import MAX_MESSAGE_ID  # as the parser: a longer one is none
from inbox_worker.store.models import DecisionLog, RawBlob, RawMessage


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
        return value[start : end + 1] if 0 <= start < end and end - start < MAX_MESSAGE_ID else None
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get("message-id")
    except Exception:
        return None
    if not value:
        return None
    value = str(value).strip()
    start, end = value.find("<"), value.find(">")
    return value[start : end + 1] if 0 <= start < end and end - start < MAX_MESSAGE_ID else None


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


def store_raws(session: Session, items: list[RawInput], now: datetime) -> list[StoredRaw]:
    """Store a batch of raw mails in one commit, each unless stored before (dedupe by Message-ID, else sha256).

    For IMAP mail the source records the UID; the mail is marked processed on the server after the commit.
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


def store_raw(session: Session, raw: bytes, source: str, uid: int | None, now: datetime) -> StoredRaw:
    """Store one raw mail (see store_raws)."""
    try:
        return store_raws(session, [RawInput(raw, source, uid)], now)[0]
    except IntegrityError:  # another worker stored it between our look and our insert
        session.rollback()
        return store_raws(session, [RawInput(raw, source, uid)], now)[0]


def previous_decision(session: Session, raw_id: int) -> dict[str, Any] | None:
    return session.scalar(select(DecisionLog.decision).where(DecisionLog.raw_message_id == raw_id)
                          .order_by(DecisionLog.id.desc()).limit(1))


_PROCESSED = select(RawMessage.id).where(RawMessage.dedupe_key == bindparam("key"),
                                        RawMessage.state == RawState.PROCESSED.value)


def processed_decision(session: Session, raw: bytes) -> dict[str, Any] | None:
    """The logged decision of this very mail, when it was processed before (its copy is a duplicate)."""
    raw_id = session.scalar(_PROCESSED, {"key": dedupe_key(raw)[0]})
    return previous_decision(session, raw_id) if raw_id is not None else None
