"""The outbox's states in the database: due rows, claiming one for sending, and recording how it went.

A row is sent at most once: it is claimed (queued -> sending) in its own commit before the send. A
row whose server may have taken it without saying so is `uncertain`, and so is a row found still
`sending` after the timeout (a flush died mid-send): it is never sent again automatically. Staff
look at it on the failed-sends desk (features/outbox/desk.py) and queue it again or cancel it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inbox_worker.config import OutboxSettings
from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.store.models import OutboxMessage

INTERRUPTED = "interrupted while sending (the server may have it); not retried automatically: retry or cancel"


def mark_interrupted(session: Session, policy: OutboxSettings, now: datetime) -> int:
    cutoff = now - timedelta(seconds=policy.sending_timeout_seconds)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < cutoff)
        .values(status=OutboxStatus.UNCERTAIN, last_error=INTERRUPTED))
    return int(getattr(result, "rowcount", 0) or 0)


def due(session: Session, now: datetime, limit: int) -> list[int]:
    return list(session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.QUEUED,
                                       OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit)))


def expedite(session: Session, now: datetime) -> int:
    """Every queued row waiting out a backoff is due now (SMTP works again); how many."""
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at > now)
        .values(next_attempt_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def claim(session: Session, row_id: int, now: datetime) -> bool:
    """Take one due row for sending; False when another flush took it first."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1))
    return bool(getattr(result, "rowcount", 0))


def record_sent(row: OutboxMessage, now: datetime) -> None:
    row.status, row.sent_at = OutboxStatus.SENT, now


def record_failure(row: OutboxMessage, error: str, status: OutboxStatus, next_attempt_at: datetime | None) -> None:
    """A send that failed: failed for good, or queued again for `next_attempt_at`."""
    row.last_error = error[:2000]
    row.status = status
    if next_attempt_at is not None:
        row.next_attempt_at = next_attempt_at


def record_uncertain(row: OutboxMessage, error: str) -> None:
    """The server may have taken it: held for staff, never picked up by `due` again."""
    row.last_error = error[:2000]
    row.status = OutboxStatus.UNCERTAIN


def listed(session: Session, statuses: Collection[str], limit: int | None = None) -> list[OutboxMessage]:
    """The rows in these states, newest first (the body too: the desk may show the text)."""
    query = select(OutboxMessage).where(OutboxMessage.status.in_(list(statuses))).order_by(OutboxMessage.id.desc())
    return list(session.scalars(query.limit(limit) if limit else query))


def counts(session: Session) -> dict[str, int]:
    return {status: int(n) for status, n in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))}


def requeue(session: Session, row_id: int, allowed: Collection[str], now: datetime) -> bool:
    """Queue a row again for now with a fresh set of attempts; False when it is no longer in `allowed`."""
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.status.in_(list(allowed)))
        .values(status=OutboxStatus.QUEUED, next_attempt_at=now, attempts=0, last_error=None, claimed_at=None))
    return bool(getattr(result, "rowcount", 0))


def cancel(session: Session, row_id: int, allowed: Collection[str]) -> bool:
    """Mark a row never to be sent; False when it is no longer in `allowed` (a flush took it meanwhile)."""
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.status.in_(list(allowed)))
        .values(status=OutboxStatus.CANCELLED))
    return bool(getattr(result, "rowcount", 0))
