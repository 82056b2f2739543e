"""Deliver the outbox by SMTP: claim a row, send it, mark it sent; retry what surely did not arrive.

A failure before the message was handed over is retried with backoff; a 5xx fails at once; a send
whose reply to the final "." never came is held as uncertain for staff (at most once, README).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import OutboxSettings, Settings
from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.outbound import smtp
from inbox_worker.store import outbox
from inbox_worker.store.models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class FlushSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0  # the server may have these: held for staff, not retried
    interrupted: int = 0  # found still "sending" from a flush that died: held as uncertain
    unsent: list[int] = field(default_factory=list)  # the rows tried now and not sent (why: their last_error)


def flush_outbox(settings: Settings, engine: Engine, now: datetime | None = None, limit: int = 200) -> FlushSummary:
    now = now or datetime.now(UTC)
    summary = FlushSummary()
    with Session(engine) as session, session.begin():
        summary.interrupted = outbox.mark_interrupted(session, settings.outbox, now)
    with Session(engine) as session:
        due = outbox.due(session, now, limit)
    client: smtp.Client | None = None
    try:
        for row_id in due:
            with Session(engine) as session, session.begin():
                if not outbox.claim(session, row_id, now):
                    continue
            with Session(engine, expire_on_commit=False) as session, session.begin():
                row = session.get(OutboxMessage, row_id)
                assert row is not None
                client = _deliver(settings, client, row, summary, now)
    finally:
        smtp.close(client)
    return summary


def after_failure(attempts: int, permanent: bool, policy: OutboxSettings,
                  now: datetime) -> tuple[OutboxStatus, datetime | None]:
    """Failed for good (permanent, or out of attempts), else queued again after an exponential backoff."""
    if permanent or attempts >= policy.max_attempts:
        return OutboxStatus.FAILED, None
    delay = min(policy.backoff_seconds * 2 ** (attempts - 1), policy.backoff_max_seconds)
    return OutboxStatus.QUEUED, now + timedelta(seconds=delay)


def reply_timeout(settings: Settings) -> float:
    """How long to wait for the reply to the final ".": RFC 5321's 10 minutes, but at most half the time
    after which another flush takes the row for interrupted (either way it ends uncertain, never resent)."""
    wait = min(smtp.DATA_TERMINATION_SECONDS, settings.outbox.sending_timeout_seconds / 2)
    return max(wait, settings.smtp.timeout_seconds)


def _deliver(settings: Settings, client: smtp.Client | None, row: OutboxMessage, summary: FlushSummary,
             now: datetime) -> smtp.Client | None:
    """Send one claimed row and record how it went; the connection to use for the next row."""
    try:
        client = client or smtp.connect(settings.smtp)
        smtp.send(client, settings.smtp.from_address, row.recipient, row.body, reply_timeout=reply_timeout(settings))
    except smtp.Uncertain as exc:
        outbox.record_uncertain(row, str(exc))
        summary.unsent.append(row.id)
        summary.uncertain += 1
        log.warning("outbox row %s (%s) to %s is uncertain, not retried: %s", row.id, row.kind, row.recipient, exc)
        smtp.abort(client)
        return None
    except smtp.PermanentRefusal as exc:
        outbox.record_failure(row, str(exc), *after_failure(row.attempts, True, settings.outbox, now))
        summary.failed += 1
        summary.unsent.append(row.id)
    except smtp.TRANSIENT_ERRORS as exc:
        status, retry_at = after_failure(row.attempts, False, settings.outbox, now)
        outbox.record_failure(row, f"{type(exc).__name__}: {exc}", status, retry_at)
        summary.unsent.append(row.id)
        if status == OutboxStatus.FAILED:
            summary.failed += 1
        else:
            summary.retrying += 1
        smtp.abort(client)  # the connection may be broken: open a new one for the next row
        return None
    else:
        outbox.record_sent(row, now)
        summary.sent += 1
        log.info("sent outbox row %s (%s) to %s", row.id, row.kind, row.recipient)
    return client
