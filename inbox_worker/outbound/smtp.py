"""Deliver the outbox by SMTP: claim a row, send it, mark it sent; retry temporary failures with backoff.

A row is sent at most once. A row found still `sending` after the timeout was interrupted mid-send
(a crash); whether the server took it is unknown, so it is marked failed for staff instead of being
sent again: a second acknowledgement is worse than a missing one that staff can see and resend.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.types import OutboxStatus
from inbox_worker.store.models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class FlushSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0


class _Permanent(Exception):
    """The server refused this message for good (5xx): retrying cannot help."""


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp = settings.smtp
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        if smtp.starttls:
            client.starttls()
    if smtp.username:
        client.login(smtp.username, smtp.password)
    return client


def _send(client: smtplib.SMTP, sender: str, row: OutboxMessage) -> None:
    try:
        refused = client.sendmail(sender, [row.recipient], row.body)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise _Permanent(f"recipient refused: {exc.recipients}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise _Permanent(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    if refused:
        raise _Permanent(f"recipient refused: {refused}")


def _mark_interrupted(session: Session, settings: Settings, now: datetime) -> int:
    cutoff = now - timedelta(seconds=settings.outbox.sending_timeout_seconds)
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < cutoff)
        .values(status=OutboxStatus.FAILED,
                last_error="interrupted while sending; not retried to avoid a duplicate: check and resend by hand")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _claim(session: Session, row_id: int, now: datetime) -> bool:
    """Take one due row for sending; False when another flush took it first."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
    )
    return bool(getattr(result, "rowcount", 0))


def _after_failure(row: OutboxMessage, error: str, permanent: bool, settings: Settings, now: datetime) -> str:
    row.last_error = error[:2000]
    if permanent or row.attempts >= settings.outbox.max_attempts:
        row.status = OutboxStatus.FAILED
        return "failed"
    delay = min(settings.outbox.backoff_seconds * 2 ** (row.attempts - 1), settings.outbox.backoff_max_seconds)
    row.status, row.next_attempt_at = OutboxStatus.QUEUED, now + timedelta(seconds=delay)
    return "retrying"


def flush_outbox(settings: Settings, engine: Engine, now: datetime | None = None, limit: int = 200) -> FlushSummary:
    now = now or datetime.now(UTC)
    summary = FlushSummary()
    with Session(engine) as session, session.begin():
        summary.interrupted = _mark_interrupted(session, settings, now)
    with Session(engine) as session:
        due = list(session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.QUEUED,
                                           OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id).limit(limit)))
    client: smtplib.SMTP | None = None
    try:
        for row_id in due:
            with Session(engine) as session, session.begin():
                if not _claim(session, row_id, now):
                    continue
            with Session(engine, expire_on_commit=False) as session, session.begin():
                row = session.get(OutboxMessage, row_id)
                assert row is not None
                try:
                    client = client or _connect(settings)
                    _send(client, settings.smtp.from_address, row)
                except _Permanent as exc:
                    _after_failure(row, str(exc), True, settings, now)
                    summary.failed += 1
                except (TimeoutError, smtplib.SMTPException, OSError) as exc:
                    outcome = _after_failure(row, f"{type(exc).__name__}: {exc}", False, settings, now)
                    if outcome == "failed":
                        summary.failed += 1
                    else:
                        summary.retrying += 1
                    client = None  # the connection may be broken: open a new one for the next row
                else:
                    row.status, row.sent_at = OutboxStatus.SENT, now
                    summary.sent += 1
                    log.info("sent outbox row %s (%s) to %s", row.id, row.kind, row.recipient)
    finally:
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
    return summary
