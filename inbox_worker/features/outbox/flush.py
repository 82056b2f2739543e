"""Deliver the outbox by SMTP: claim a row, send it, mark it sent; retry what surely did not arrive.

A failure before the message was handed over is retried with backoff; a 5xx fails at once; a send
whose reply to the final "." never came is held as uncertain for staff (at most once, README). Each
flush records whether SMTP works (/healthz, alerts); while the server cannot be reached or refuses our
login, a flush with nothing due logs in to see whether it is back, and once it is, what waited out the
outage's backoff is sent at once.

A staff reply's attachments are read from the attachment store and added as MIME parts at each send
(`outbound.mime.with_attachments`), so the row stays small and a send retried later still carries them;
its Cc addresses are recipients of the envelope too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import OutboxSettings, Settings
from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.domain.health import SMTP_COMPONENT, FailureKind
from inbox_worker.outbound import smtp
from inbox_worker.outbound.mime import Attachment, with_attachments
from inbox_worker.store import health, outbox
from inbox_worker.store.files import AttachmentStore
from inbox_worker.store.models import OutboxAttachment, OutboxMessage

log = logging.getLogger(__name__)


OUTAGE = (FailureKind.UNREACHABLE, FailureKind.LOGIN_REFUSED)


@dataclass
class FlushSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0  # the server may have these: held for staff, not retried
    interrupted: int = 0  # found still "sending" from a flush that died: held as uncertain
    unsent: list[int] = field(default_factory=list)  # the rows tried now and not sent (why: their last_error)
    refused: int = 0  # of `failed`: refused for good by a server that answered (5xx)
    trouble: tuple[FailureKind, str] | None = None  # the last failure that says SMTP is not working
    probed: bool = False  # SMTP was failing, nothing was due, and a login without sending worked


def flush_outbox(settings: Settings, engine: Engine, now: datetime | None = None, limit: int = 200) -> FlushSummary:
    now = now or datetime.now(UTC)
    summary = FlushSummary()
    with Session(engine) as session, session.begin():
        summary.interrupted = outbox.mark_interrupted(session, settings.outbox, now)
        smtp_status = health.status(session, SMTP_COMPONENT)
    # The server itself was unusable (not a 4xx to a message, whose backoff the server asked for).
    outage = smtp_status is not None and smtp_status.failing and smtp_status.error_kind in OUTAGE
    client: smtp.Client | None = None
    try:
        client = _send_due(settings, engine, client, summary, now, limit)
        if outage and not (summary.sent or summary.refused or summary.trouble):
            client = _probe(settings, summary)  # all of it waits out a backoff: is the server back?
        if outage and (summary.sent or summary.probed):
            # SMTP works again: what waits out a backoff from the outage goes now, not in up to an hour.
            with Session(engine) as session, session.begin():
                waiting = outbox.expedite(session, now)
            log.info("SMTP works again: %s queued mail(s) sent now", waiting)
            client = _send_due(settings, engine, client, summary, now, limit)
    finally:
        smtp.close(client)
    _record(engine, summary, now)
    return summary


def _send_due(settings: Settings, engine: Engine, client: smtp.Client | None, summary: FlushSummary,
              now: datetime, limit: int) -> smtp.Client | None:
    with Session(engine) as session:
        due = outbox.due(session, now, limit)
    for row_id in due:
        with Session(engine) as session, session.begin():
            if not outbox.claim(session, row_id, now):
                continue
        with Session(engine, expire_on_commit=False) as session, session.begin():
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            try:
                message = _message(settings, session, row)
            except OSError as exc:  # a file gone from the store: sending without it would mislead the customer
                outbox.record_failure(row, f"attachment missing from the attachment store: {exc}",
                                      *after_failure(row.attempts, True, settings.outbox, now))
                summary.failed += 1
                summary.unsent.append(row.id)
                continue
            client = _deliver(settings, client, row, message, summary, now)
    return client


def _message(settings: Settings, session: Session, row: OutboxMessage) -> bytes:
    """The bytes to hand over: the row's message, with its attachments (if any) as MIME parts."""
    records = list(session.scalars(select(OutboxAttachment).where(OutboxAttachment.outbox_id == row.id)
                                   .order_by(OutboxAttachment.id)))
    if not records:
        return row.body
    store = AttachmentStore(settings.storage.attachments_dir, 0)  # reading only: the cap is for saving
    return with_attachments(row.body, [Attachment(r.filename, r.content_type, store.path_of(r.stored_path).read_bytes())
                                       for r in records])


def _probe(settings: Settings, summary: FlushSummary) -> smtp.Client | None:
    """While SMTP is failing and no row is due: connect and log in, sending nothing (the connection is used next)."""
    try:
        client = smtp.connect(settings.smtp)
    except smtp.TRANSIENT_ERRORS as exc:
        summary.trouble = (smtp.failure_kind(exc), f"{type(exc).__name__}: {exc}")
        return None
    summary.probed = True
    return client


def _record(engine: Engine, summary: FlushSummary, now: datetime) -> None:
    """SMTP's health for /healthz and the alerts: working when it took a mail, let us log in, or refused one."""
    if summary.sent or summary.probed or (summary.refused and summary.trouble is None):
        health.quietly(health.succeeded, engine, SMTP_COMPONENT, now)
    elif summary.trouble is not None:
        health.quietly(health.failed, engine, SMTP_COMPONENT, now, *summary.trouble)


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


def _deliver(settings: Settings, client: smtp.Client | None, row: OutboxMessage, message: bytes,
             summary: FlushSummary, now: datetime) -> smtp.Client | None:
    """Send one claimed row (`message`: its bytes with any attachments) and record how it went; the connection
    to use for the next row."""
    recipients = [row.recipient, *(row.cc or [])]
    try:
        client = client or smtp.connect(settings.smtp)
        smtp.send(client, settings.smtp.from_address, recipients if row.cc else row.recipient, message,
                  reply_timeout=reply_timeout(settings))
    except smtp.Uncertain as exc:
        outbox.record_uncertain(row, str(exc))
        summary.unsent.append(row.id)
        summary.uncertain += 1
        summary.trouble = (FailureKind.UNCERTAIN, str(exc))
        log.warning("outbox row %s (%s) to %s is uncertain, not retried: %s", row.id, row.kind, row.recipient, exc)
        smtp.abort(client)
        return None
    except smtp.PermanentRefusal as exc:
        outbox.record_failure(row, str(exc), *after_failure(row.attempts, True, settings.outbox, now))
        summary.failed += 1
        summary.unsent.append(row.id)
        summary.refused += 1
    except smtp.TRANSIENT_ERRORS as exc:
        status, retry_at = after_failure(row.attempts, False, settings.outbox, now)
        outbox.record_failure(row, f"{type(exc).__name__}: {exc}", status, retry_at)
        summary.unsent.append(row.id)
        summary.trouble = (smtp.failure_kind(exc), f"{type(exc).__name__}: {exc}")
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
