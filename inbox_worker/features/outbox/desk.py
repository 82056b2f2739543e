"""The failed-sends desk: outbox rows for staff, and queueing one again or cancelling it, audit-logged.

Retry and cancel take several rows at once and change all of them or none: an unknown id, or a row
in a state that does not allow it (a sent row is never sent again), refuses the whole request with
one line. A retry queues the row for now with a fresh set of attempts; what it had been through
(status, attempts, last error) is kept in the audit log entry. A cancelled row is final.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from email import message_from_bytes, policy
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.errors import UserError
from inbox_worker.store import audit, outbox
from inbox_worker.store.models import AuditEntry, OutboxMessage

S = OutboxStatus
NOT_SENT = (S.QUEUED, S.SENDING, S.FAILED, S.UNCERTAIN, S.CANCELLED)  # `outbox list` without --status
NEEDS_STAFF = (S.FAILED, S.UNCERTAIN)  # the web page's default
RETRYABLE = (S.FAILED, S.UNCERTAIN, S.QUEUED)  # a queued row is sent now instead of after its backoff
CANCELLABLE = (S.QUEUED, S.FAILED, S.UNCERTAIN)
SENDING = ("sendes netop nu (blev afsendelsen afbrudt, bliver den usikker ved første outbox flush efter "
           "outbox.sending_timeout_seconds)")
REFUSAL = {
    "retry": {S.SENT: "blev sendt {sent} og sendes aldrig igen", S.SENDING: SENDING,
              S.CANCELLED: "er annulleret og sendes ikke"},
    "cancel": {S.SENT: "blev sendt {sent} og kan ikke annulleres", S.SENDING: SENDING},
}


@dataclass(frozen=True)
class DeskRow:
    """One outbox row as staff see it (the keys of `outbox list --json`)."""

    id: int
    kind: str
    ticket: int | None
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    message_id: str
    created: datetime
    last_attempt: datetime | None
    next_attempt: datetime | None
    sent: datetime | None
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None
    text: str | None = None  # the plain-text part, when asked for

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("text")
        return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in data.items()}


def desk_rows(session: Session, statuses: tuple[str, ...] | list[str] = NOT_SENT, *, limit: int | None = None,
              with_text: bool = False) -> list[DeskRow]:
    """The rows in these states, newest first, with who cancelled which (from the audit log)."""
    rows = outbox.listed(session, statuses, limit)
    cancels = _cancels(session) if any(row.status == S.CANCELLED for row in rows) else {}
    return [DeskRow(
        id=row.id, kind=row.kind, ticket=row.ticket_id, recipient=row.recipient, subject=row.subject,
        status=row.status, attempts=row.attempts, last_error=row.last_error, message_id=row.message_id,
        created=row.created_at, last_attempt=row.claimed_at,
        next_attempt=row.next_attempt_at if row.status == S.QUEUED else None, sent=row.sent_at,
        cancelled_by=cancels.get(row.id, (None, None))[0] if row.status == S.CANCELLED else None,
        cancelled_at=cancels.get(row.id, (None, None))[1] if row.status == S.CANCELLED else None,
        text=_text_of(row.body) if with_text else None,
    ) for row in rows]


def _cancels(session: Session) -> dict[int, tuple[str, datetime]]:
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox-cancel").order_by(AuditEntry.id))
    return {int(entry.details["outbox"]): (entry.actor, entry.created_at) for entry in entries
            if isinstance(entry.details.get("outbox"), int)}


def _text_of(body: bytes, limit: int = 4000) -> str:
    message = message_from_bytes(body, policy=policy.default)
    part = message.get_body(("plain",)) if hasattr(message, "get_body") else None
    try:
        text = str(part.get_content()) if part is not None else ""
    except (LookupError, ValueError):
        text = ""
    return text[:limit]


def parse_ids(texts: list[str]) -> list[int]:
    """Outbox ids as typed ("12" or "#12"), each once; one clear line for anything else."""
    ids: list[int] = []
    for text in texts:
        digits = text.strip().lstrip("#")
        if not digits.isdigit():
            raise UserError(f"{text!r} er ikke et udbakke-id (tallet i første kolonne af outbox list)")
        if int(digits) not in ids:
            ids.append(int(digits))
    if not ids:
        raise UserError("angiv mindst ét udbakke-id")
    return ids


def _rows_for(session: Session, ids: list[int], action: str, allowed: tuple[str, ...],
              zone: ZoneInfo) -> list[OutboxMessage]:
    found = {row.id: row for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
    for row_id in ids:
        row = found.get(row_id)
        if row is None:
            raise UserError(f"udbakke {row_id} findes ikke")
        if row.status not in allowed and not (action == "cancel" and row.status == S.CANCELLED):
            sent = row.sent_at.astimezone(zone).strftime("%d.%m.%Y %H:%M") if row.sent_at else "?"
            why = REFUSAL[action].get(S(row.status), "kan ikke ændres sådan").format(sent=sent)
            raise UserError(f"udbakke {row_id} ({row.status}) {why}; intet er ændret")
    return [found[row_id] for row_id in ids]


def retry(session: Session, ids: list[int], actor: str, now: datetime, timezone: str = "Europe/Copenhagen"
          ) -> list[str]:
    """Queue failed, uncertain (or backing-off) rows to be sent by the next flush; one line per row."""
    lines = []
    for row in _rows_for(session, ids, "retry", RETRYABLE, ZoneInfo(timezone)):
        was, attempts, error = row.status, row.attempts, row.last_error
        if not outbox.requeue(session, row.id, RETRYABLE, now):
            raise UserError(f"udbakke {row.id} blev ændret imens (nu {row.status}); intet er ændret")
        audit.record(session, actor[:16], "outbox-retry", now, ticket=row.ticket_id, outbox=row.id, kind=row.kind,
                     to=row.recipient, was=was, attempts=attempts, last_error=error)
        lines.append(f"udbakke {row.id}: lagt i kø igen (var {was} efter {attempts} forsøg); "
                     f"sendes ved næste afsendelse til {row.recipient}")
    return lines


def cancel(session: Session, ids: list[int], actor: str, now: datetime, timezone: str = "Europe/Copenhagen"
           ) -> list[str]:
    """Mark rows never to be sent (a cancelled row stays as it is); one line per row."""
    lines = []
    for row in _rows_for(session, ids, "cancel", CANCELLABLE, ZoneInfo(timezone)):
        if row.status == S.CANCELLED:
            lines.append(f"udbakke {row.id}: var allerede annulleret")
            continue
        was = row.status
        if not outbox.cancel(session, row.id, CANCELLABLE):
            raise UserError(f"udbakke {row.id} blev ændret imens (nu {row.status}); intet er ændret")
        audit.record(session, actor[:16], "outbox-cancel", now, ticket=row.ticket_id, outbox=row.id, kind=row.kind,
                     to=row.recipient, was=was, attempts=row.attempts, last_error=row.last_error)
        lines.append(f"udbakke {row.id}: annulleret (var {was}); sendes aldrig")
    return lines
