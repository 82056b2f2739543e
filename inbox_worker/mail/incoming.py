"""A fetched mail on its way in, and parsing that never raises (it also runs in the parse worker process)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox_worker.domain.decision import Decision, quarantined
from inbox_worker.domain.types import ParsedMail, TraceEntry
from inbox_worker.mail.parse.parser import ParseError, parse_mail
from inbox_worker.store.raw import header_message_id

ParseResult = ParsedMail | ParseError
SavedAttachment = tuple[str | None, str | None]  # AttachmentStore.save's (relative path, reason not stored)


@dataclass(frozen=True)
class IncomingMail:
    raw: bytes
    source: str
    uid: int | None = None
    # Set by the source when the mail must be quarantined unread (e.g. over the IMAP size limit).
    quarantine_reason: str | None = None
    # When it reached the mailbox, as the mail server says (IMAP INTERNALDATE); None: when we store it.
    arrived_at: datetime | None = None


def too_large_reason(size: int, limit_mb: float, where: str) -> str:
    """Why a mail over `max_message_mb` was stored with its headers only; `where` the rest of it still is."""
    return (f"Mailen er {size / 1024 / 1024:.1f} MB, over grænsen på {limit_mb:g} MB: kun headers er gemt; "
            f"selve mailen ligger stadig {where}")


def parse_safely(raw: bytes) -> ParseResult:
    """Parse, turning any failure into a ParseError value."""
    try:
        return parse_mail(raw)
    except ParseError as exc:
        return exc
    except Exception as exc:  # hostile input must never kill the worker process
        return ParseError(f"parser crashed: {type(exc).__name__}: {exc}")


def unreadable(raw: bytes, reason: str, rule: str) -> Decision:
    """The decision for a mail that cannot be read (unparseable, over the size limit): quarantined, with why."""
    return quarantined(reason, rule, message_id=header_message_id(raw),
                       trace=(TraceEntry("parse", rule, "quarantine", reason, {}),))
