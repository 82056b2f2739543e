"""The raw store: every fetched mail's bytes, committed first, and which earlier copy (if any) it repeats.

Nothing happens to a mail before its bytes are here. Every fetched copy gets a row: a mail stored
but not processed before a crash is processed on the next run, and the same mail twice is found.

When is it "the same mail"? Same Message-ID (or, without one, the same bytes) *and* the same content
in the parts its author wrote: From, Date, Subject and the body (line ends and trailing blank space
aside). A second delivery differs only in what servers add on the way (Received, Delivered-To, spam
and DKIM verdicts, CRLF or LF), so it is a `duplicate`; mailers and ticket systems that reuse a
Message-ID for a new mail change at least one of those, so that mail is processed, flagged
`message-id-reused`. A copy of a mail that was quarantined (a transient fault, or truncated) is
processed again; a complete copy supersedes a quarantined truncated one (same From, Date and Subject,
the truncated body a prefix of the complete one).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import Outcome, RawState
from inbox_worker.domain.types import EarlierCopies
from inbox_worker.domain.vocabulary import MAX_MESSAGE_ID  # as the parser: a longer one is none
from inbox_worker.store.models import DecisionLog, RawBlob, RawMessage


@dataclass(frozen=True)
class StoredRaw:
    id: int
    already_processed: bool
    previous_decision: dict[str, Any] | None
    duplicate_of: int | None = None  # index of the same mail earlier in the same batch
    copies: EarlierCopies = field(default_factory=EarlierCopies)
    again: bool = False  # a quarantined mail processed again by staff (quarantine reprocess)


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
    arrived_at: datetime | None = None


def dedupe_key(raw: bytes) -> tuple[str, str | None, str]:
    """(key, Message-ID, sha256): the Message-ID when the mail has one, else the hash of its bytes."""
    message_id = header_message_id(raw)
    sha = hashlib.sha256(raw).hexdigest()
    return message_id or f"sha256:{sha}", message_id, sha


_AUTHORED = (b"from", b"date", b"subject")
_HEADER_LINE = re.compile(rb"^(from|date|subject)[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)",
                          re.IGNORECASE | re.MULTILINE)
_CHUNK = 4 * 1024 * 1024


def _true_header_end(raw: bytes) -> int | None:
    """Where the header block really ends (after the newline before the first empty line), however long
    it is; None for a mail without an empty line (then its whole text is its content)."""
    ends = [end + 1 for end in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if end >= 0]
    return min(ends) if ends else None


def _authored_headers(raw: bytes) -> bytes:
    """From, Date and Subject as written (the first of each, unfolded, blank space collapsed)."""
    end = _true_header_end(raw)
    found: dict[bytes, bytes] = {}
    for match in _HEADER_LINE.finditer(raw if end is None else raw[:end]):
        found.setdefault(match.group(1).lower(), b" ".join(match.group(2).split()))
    return b"\0".join(found.get(name, b"") for name in _AUTHORED)


def _body_bounds(raw: bytes) -> tuple[int, int]:
    """Where the content after the headers starts and ends, trailing blank space left out. A mail with no
    empty line has no body apart from its headers: all of it counts, so two such mails are never one."""
    header_end = _true_header_end(raw)
    start, end = (0 if header_end is None else header_end), len(raw)
    while end > start and raw[end - 1] in b" \t\r\n":
        end -= 1
    return start, end


def _normalised_body(raw: bytes) -> bytes:
    start, end = _body_bounds(raw)
    return raw[start:end].replace(b"\r\n", b"\n")


def content_fingerprint(raw: bytes) -> str:
    """sha256 of the parts of a mail its author wrote (see the module): equal for two copies of one mail.

    The body is hashed in chunks with CRLF read as LF, so a 60 MB mail is not copied to do it.
    """
    digest = hashlib.sha256(_authored_headers(raw) + b"\0\0")
    start, end = _body_bounds(raw)
    position = start
    while position < end:
        stop = min(position + _CHUNK, end)
        if raw[stop - 1:stop] == b"\r" and stop < end:
            stop += 1  # never split a CRLF between two chunks
        digest.update(raw[position:stop].replace(b"\r\n", b"\n"))
        position = stop
    return digest.hexdigest()


def _is_truncated_copy(earlier: bytes, later: bytes) -> bool:
    """`earlier` is `later` cut short: the same From, Date and Subject, its body a shorter prefix."""
    if _true_header_end(earlier) is None or _authored_headers(earlier) != _authored_headers(later):
        return False  # without an empty line there is no body to have been cut short
    cut, whole = _normalised_body(earlier), _normalised_body(later)
    return len(cut) < len(whole) and whole.startswith(cut)


_LOOKUP = select(RawMessage.id, RawMessage.dedupe_key, RawMessage.identity, RawMessage.content_sha,
                 RawMessage.sha256, RawMessage.state, RawMessage.outcome).where(
    RawMessage.dedupe_key.in_(bindparam("keys", expanding=True)),
    RawMessage.state.in_([RawState.RECEIVED.value, RawState.PROCESSED.value])).order_by(RawMessage.id)
_BLOB = select(RawBlob.raw).where(RawBlob.raw_message_id == bindparam("raw_id"))
_INSERT_RAWS = insert(RawMessage).returning(RawMessage.id, sort_by_parameter_order=True)
_INSERT_BLOB = insert(RawBlob)
# The identity passes from a superseded copy to the one that replaces it: released first, then linked.
# Only while it is still in quarantine: staff may be taking it back at this moment (quarantine reprocess
# holds its row); then the plan is made again, and finds it processed.
_STILL_QUARANTINED = (RawMessage.state == RawState.PROCESSED.value, RawMessage.outcome == Outcome.QUARANTINED.value)
_RELEASE = update(RawMessage).where(RawMessage.id.in_(bindparam("old", expanding=True)),
                                    *_STILL_QUARANTINED).values(identity=None)
_SUPERSEDE = update(RawMessage).where(RawMessage.id == bindparam("old"), *_STILL_QUARANTINED).values(
    state=RawState.SUPERSEDED.value, superseded_by_id=bindparam("new"))
_LINK_COPY = update(RawMessage).where(RawMessage.id == bindparam("copy")).values(duplicate_of_id=bindparam("of"))


class _Raced(Exception):
    """A copy to supersede left the quarantine while this batch was being stored: store the batch anew."""


@dataclass
class _Known:
    """A stored copy with some Message-ID (or hash), as the lookup sees it."""

    id: int | None  # None: a mail earlier in the same batch, not inserted yet
    content_sha: str | None
    sha256: str
    state: str
    outcome: str | None
    raw: bytes | None = None  # read only when needed (a copy stored before fingerprints were kept)
    index: int | None = None  # its place in the batch, for a mail of the same batch
    row_at: int | None = None  # and its place among the rows this batch inserts (its id once inserted)

    @property
    def quarantined(self) -> bool:
        return self.state == RawState.PROCESSED and self.outcome == Outcome.QUARANTINED


@dataclass
class _Verdict:
    """What becomes of one incoming copy: processed (maybe superseding others), or a duplicate of `same`."""

    same: _Known | None = None
    supersedes: list[_Known] = field(default_factory=list)
    reused_by: list[_Known] = field(default_factory=list)


class _Lookup:
    """The stored copies with the Message-IDs (or hashes) of a batch, and the verdict on each new copy."""

    def __init__(self, connection: Connection, keys: list[str]) -> None:
        self.connection = connection
        self.by_key: dict[str, list[_Known]] = {}
        for row in connection.execute(_LOOKUP, {"keys": sorted(set(keys))}):
            self.by_key.setdefault(row.dedupe_key, []).append(self._known(row))

    @staticmethod
    def _known(row: Any) -> _Known:
        return _Known(row.id, row.content_sha, row.sha256, row.state, row.outcome)

    def fingerprint(self, known: _Known) -> str:
        if known.content_sha is None:  # stored before fingerprints were kept: computed once, here
            known.content_sha = content_fingerprint(self.bytes_of(known))
        return known.content_sha

    def bytes_of(self, known: _Known) -> bytes:
        if known.raw is None:
            known.raw = self.connection.execute(_BLOB, {"raw_id": known.id}).scalar() or b""
        return known.raw

    def verdict(self, key: str, raw: bytes, fingerprint: str) -> _Verdict:
        verdict = _Verdict()
        for known in self.by_key.get(key, []):
            if verdict.same is None and self.fingerprint(known) == fingerprint and not known.quarantined:
                verdict.same = known  # the same mail: handled, being handled, or stored by a crashed run
            elif known.quarantined and (self.fingerprint(known) == fingerprint
                                        or _is_truncated_copy(self.bytes_of(known), raw)):
                verdict.supersedes.append(known)
            elif self.fingerprint(known) != fingerprint:
                verdict.reused_by.append(known)
        return verdict

    def add(self, key: str, known: _Known) -> None:
        self.by_key.setdefault(key, []).append(known)


def _row(item: RawInput, key: str, message_id: str | None, sha: str, fingerprint: str, now: datetime,
         state: RawState, identity: str | None, duplicate_of: int | None) -> dict[str, Any]:
    arrived = min(item.arrived_at, now) if item.arrived_at is not None else now  # a server clock ahead: now
    return {"dedupe_key": key, "message_id": message_id, "sha256": sha, "size": len(item.raw),
            "source": item.source[:500], "source_uid": item.uid, "received_at": now, "arrived_at": arrived,
            "state": state.value, "outcome": None, "ticket_id": None, "processed_at": None,
            "identity": identity, "content_sha": fingerprint, "duplicate_of_id": duplicate_of,
            "superseded_by_id": None}


def store_raws(session: Session, items: list[RawInput], now: datetime) -> list[StoredRaw]:
    """Store a batch of fetched mails in one commit, every copy, and say for each what it repeats.

    A copy of a mail handled before, or of one earlier in the same batch, is stored as a `duplicate`
    row (its bytes too, unless identical) and comes back as already processed, or with
    `duplicate_of`, the index of the first; a mail stored by a run that crashed before processing it
    comes back as that row, to process; anything else is a new row to process, with the earlier
    copies it supersedes or whose Message-ID it reuses.
    """
    for _attempt in range(3):
        try:
            return _store_raws(session, items, now)
        except _Raced:
            session.rollback()
    return _store_raws(session, items, now)


@dataclass
class _Plan:
    kind: str  # new | redo | duplicate | in-batch
    verdict: _Verdict
    row_at: int | None = None  # its row among those inserted
    first: int | None = None  # in-batch: the index of the first copy


def _store_raws(session: Session, items: list[RawInput], now: datetime) -> list[StoredRaw]:
    keys = [dedupe_key(item.raw) for item in items]
    connection = session.connection()
    lookup = _Lookup(connection, [k for k, _, _ in keys])
    rows: list[dict[str, Any]] = []
    blobs: list[bytes | None] = []
    plans: list[_Plan] = []
    redone: dict[int, int] = {}  # a stored row taken up again -> the index that took it
    for index, (item, (key, message_id, sha)) in enumerate(zip(items, keys, strict=True)):
        fingerprint = content_fingerprint(item.raw)
        verdict = lookup.verdict(key, item.raw, fingerprint)
        same = verdict.same
        first = same.index if same is not None and same.index is not None else \
            redone.get(same.id) if same is not None and same.id is not None else None
        if same is not None and (first is not None or same.state == RawState.PROCESSED):
            of = same.id  # the handled copy (for one of this batch, linked once it has an id)
            rows.append(_row(item, key, message_id, sha, fingerprint, now, RawState.DUPLICATE, None, of))
            blobs.append(None if sha == same.sha256 and (same.id is not None or same.row_at is not None)
                         else item.raw)  # identical bytes are stored once
            plans.append(_Plan("in-batch" if first is not None else "duplicate", verdict, len(rows) - 1, first))
        elif same is not None:
            assert same.id is not None
            redone[same.id] = index
            plans.append(_Plan("redo", verdict))
        else:
            rows.append(_row(item, key, message_id, sha, fingerprint, now, RawState.RECEIVED,
                             f"{key}#{fingerprint}", None))
            blobs.append(item.raw)
            plans.append(_Plan("new", verdict, len(rows) - 1))
            lookup.add(key, _Known(None, fingerprint, sha, RawState.RECEIVED.value, None, item.raw, index,
                                   len(rows) - 1))
    superseded = sorted({old.id for plan in plans if plan.kind in ("new", "redo") for old in plan.verdict.supersedes
                         if old.id is not None})
    if superseded and connection.execute(_RELEASE, {"old": superseded}).rowcount != len(superseded):
        raise _Raced
    ids: list[int] = []
    if rows:  # one multi-row INSERT ... RETURNING, ids in the order of the rows
        ids = [int(i) for i in connection.execute(_INSERT_RAWS, rows).scalars().all()]
        stored = [{"raw_message_id": ids[n], "raw": blob} for n, blob in enumerate(blobs) if blob is not None]
        if stored:
            connection.execute(_INSERT_BLOB, stored)

    def id_of(known: _Known) -> int | None:
        return known.id if known.id is not None else ids[known.row_at] if known.row_at is not None else None

    def handled_id(plan: _Plan) -> int:
        if plan.kind == "redo" or plan.kind == "duplicate":
            assert plan.verdict.same is not None and plan.verdict.same.id is not None
            return plan.verdict.same.id
        assert plan.row_at is not None
        return ids[plan.row_at]

    links = [{"copy": ids[plan.row_at], "of": handled_id(plans[plan.first])} for plan in plans
             if plan.kind == "in-batch" and plan.row_at is not None and plan.first is not None]
    if links:
        connection.execute(_LINK_COPY, links)
    supersede = [{"old": old.id, "new": handled_id(plan)} for plan in plans if plan.kind in ("new", "redo")
                 for old in plan.verdict.supersedes if old.id is not None]
    if supersede:
        connection.execute(_SUPERSEDE, supersede)
    session.commit()
    result = []
    for plan in plans:
        verdict = plan.verdict
        if plan.kind == "in-batch":
            assert plan.row_at is not None
            result.append(StoredRaw(ids[plan.row_at], False, None, plan.first))
        elif plan.kind == "duplicate":
            assert plan.row_at is not None and verdict.same is not None and verdict.same.id is not None
            result.append(StoredRaw(ids[plan.row_at], True, previous_decision(session, verdict.same.id)))
        else:
            copies = EarlierCopies(tuple(i for i in map(id_of, verdict.reused_by) if i is not None),
                                   tuple(i for i in map(id_of, verdict.supersedes) if i is not None))
            result.append(StoredRaw(handled_id(plan), False, None, copies=copies))
    return result


def store_raw(session: Session, raw: bytes, source: str, uid: int | None, now: datetime,
              arrived_at: datetime | None = None) -> StoredRaw:
    """Store one raw mail (see store_raws)."""
    try:
        return store_raws(session, [RawInput(raw, source, uid, arrived_at)], now)[0]
    except IntegrityError:  # another worker stored the same mail between our look and our insert
        session.rollback()
        return store_raws(session, [RawInput(raw, source, uid, arrived_at)], now)[0]


def previous_decision(session: Session, raw_id: int) -> dict[str, Any] | None:
    return session.scalar(select(DecisionLog.decision).where(DecisionLog.raw_message_id == raw_id)
                          .order_by(DecisionLog.id.desc()).limit(1))


def seen_before(session: Session, raw: bytes) -> tuple[dict[str, Any] | None, EarlierCopies]:
    """What storing this mail now would find, without storing it (`explain`): the decision of the same
    mail when it was handled before (its copy is a duplicate), else the earlier copies it relates to."""
    key = dedupe_key(raw)[0]
    verdict = _Lookup(session.connection(), [key]).verdict(key, raw, content_fingerprint(raw))
    if verdict.same is not None and verdict.same.id is not None and verdict.same.state == RawState.PROCESSED:
        return previous_decision(session, verdict.same.id), EarlierCopies()
    return None, EarlierCopies(tuple(k.id for k in verdict.reused_by if k.id is not None),
                               tuple(k.id for k in verdict.supersedes if k.id is not None))


def earlier_copies(session: Session, raw_id: int, key: str, raw: bytes) -> EarlierCopies:
    """For a stored mail processed again: the copies stored before it that it reuses the Message-ID of."""
    lookup = _Lookup(session.connection(), [key])
    lookup.by_key[key] = [k for k in lookup.by_key.get(key, []) if k.id is not None and k.id < raw_id]
    verdict = lookup.verdict(key, raw, content_fingerprint(raw))
    return EarlierCopies(tuple(k.id for k in verdict.reused_by if k.id is not None))
