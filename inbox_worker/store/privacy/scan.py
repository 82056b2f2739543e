"""Where a person stands in stored mail and thread text beyond the columns that name them: the bytes of every
stored mail, the decisions, and the entries that name or quote them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.privacy import Identity, Scrubber
from inbox_worker.store.models import DecisionLog, RawBlob, TicketEntry
from inbox_worker.store.privacy import catalog
from inbox_worker.store.privacy.mailtext import mail_text


def bytes_pattern(identity: Identity) -> re.Pattern[bytes] | None:
    """Their addresses (any +tag) and names as they stand in a mail's bytes: ASCII in any case, UTF-8 as written."""
    parts = []
    for address in identity.addresses:
        local, _, domain = address.rpartition("@")
        if local:
            parts.append(rb"(?<![\w.%+-])" + re.escape(local.encode()) + rb"(?:\+[\w.-]*)?@"
                         + re.escape(domain.encode()) + rb"(?![\w-])")
    for name in identity.names:
        for form in dict.fromkeys((name, name.lower(), name.upper())):
            parts.append(rb"(?<!\w)" + rb"\s+".join(re.escape(w.encode()) for w in form.split()) + rb"(?!\w)")
    return re.compile(b"|".join(parts), re.IGNORECASE) if parts else None


@dataclass(frozen=True)
class RawScan:
    """What a scan of the stored mail found for one identity, and how far it read (the highest mail id).

    Reading every stored mail takes seconds per thousand mails, too long to hold the write lock the worker
    needs for every new mail: an erasure scans first, in a read-only transaction, and inside its write
    transaction reads only the mail stored since (stored bytes never change; deleted ones are dropped)."""

    identity: Identity  # without the pseudonym: what was looked for
    found: frozenset[int]
    upto: int


def raw_with_them(session: Session, scrubber: Scrubber, since: RawScan | None = None) -> RawScan:
    """Stored mail that names them anywhere (headers, a quote, a signature, an attachment's name, an HTML alt
    text): their address or name in the bytes as they are, else their address, name, phone or a line of
    theirs in the mail as a reader sees it (decoded: quoted-printable with its soft line breaks, base64,
    RFC 2047/2231, HTML entities). Every stored mail is read once, in batches (after `since`, the mail it
    has not read, when it looked for the same identity): a mail naming them anywhere must not be missed."""
    looked_for = replace(scrubber.identity, pseudonym="")
    start, found = 0, set[int]()
    if since is not None and since.identity == looked_for:
        start = since.upto
        found = set(session.scalars(select(RawBlob.raw_message_id).where(RawBlob.raw_message_id.in_(since.found))))
    pattern = bytes_pattern(scrubber.identity)
    rows = session.execute(select(RawBlob.raw_message_id, RawBlob.raw).where(RawBlob.raw_message_id > start)
                           .execution_options(yield_per=50))
    upto = start
    for raw_id, value in rows:
        upto = max(upto, int(raw_id))
        raw = bytes(value)
        if (pattern is not None and pattern.search(raw)) or scrubber.mentions(mail_text(raw, with_bytes=False)):
            found.add(int(raw_id))
    return RawScan(looked_for, frozenset(found), upto)


def decided_about_them(session: Session, scrubber: Scrubber) -> set[int]:
    """Mails whose decision names them (the sender of a quarantined mail, a forward's original sender)."""
    keys = catalog.matching_keys(session, DecisionLog.__table__, scrubber.needles())  # type: ignore[arg-type]
    ids = sorted(k[0] for k in keys)
    if not ids:
        return set()
    rows = session.execute(select(DecisionLog.raw_message_id, DecisionLog.decision, DecisionLog.trace)
                           .where(DecisionLog.id.in_(ids)))
    return {int(raw_id) for raw_id, decision, trace in rows
            if scrubber.mentions(json.dumps([decision, trace], ensure_ascii=False))}


def mentioning_entries(session: Session, scrubber: Scrubber, skip: set[int], near: set[int]) -> list[TicketEntry]:
    """Entries on others' tickets that name or quote the person; on the tickets of their own customer (`near`),
    where colleagues call them by their first name, that too."""
    table = TicketEntry.__table__
    keys = catalog.matching_keys(session, table, scrubber.needles())  # type: ignore[arg-type]
    ids = {k[0] for k in keys} | set(session.scalars(select(TicketEntry.id).where(TicketEntry.ticket_id.in_(near))))
    ids -= skip
    entries = list(session.scalars(select(TicketEntry).where(TicketEntry.id.in_(sorted(ids))))) if ids else []
    return [e for e in entries if scrubber.mentions(e.body_text, loose=e.ticket_id in near)
            or scrubber.mentions(e.subject, loose=e.ticket_id in near)]
