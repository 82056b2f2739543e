"""The worker's status rows (heartbeat, poll, SMTP and summary results) and the counts /healthz and /metrics read.

Writes are single UPDATE statements in short transactions of their own, so two workers never lose a
count; reads are indexed counts, cheap enough for a scrape every few seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import OutboxStatus, Outcome, RawState
from inbox_worker.domain.health import ComponentStatus, FailureKind, OutboxStats, QuarantineStats
from inbox_worker.store.models import DecisionLog, OutboxMessage, RawMessage, WorkerStatus

log = logging.getLogger(__name__)
UNSENT = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)


def _ensure(session: Session, name: str) -> None:
    """The row exists afterwards, whichever of two workers created it first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(WorkerStatus).values(name=name, consecutive_errors=0, ok_count=0, error_count=0)
                    .on_conflict_do_nothing(index_elements=["name"]))


def _write(engine: Engine, name: str, values: dict[str, Any]) -> None:
    with Session(engine) as session, session.begin():
        _ensure(session, name)
        session.execute(update(WorkerStatus).where(WorkerStatus.name == name).values(**values))


def succeeded(engine: Engine, name: str, now: datetime, owner: str | None = None, beat: bool = False) -> None:
    """A poll, a delivery or a job that worked: the failure streak ends."""
    values: dict[str, Any] = {"last_ok_at": now, "consecutive_errors": 0, "failing_since": None,
                              "ok_count": WorkerStatus.ok_count + 1}
    _write(engine, name, values | ({"heartbeat_at": now, "owner": owner} if beat else {}))


def failed(engine: Engine, name: str, now: datetime, kind: FailureKind, error: str, owner: str | None = None,
           beat: bool = False) -> None:
    """One more failure in a row; the streak's first one says since when it fails."""
    values: dict[str, Any] = {
        "last_error_at": now, "error_kind": kind.value, "last_error": error[:1000],
        "failing_since": case((WorkerStatus.consecutive_errors == 0, now), else_=WorkerStatus.failing_since),
        "consecutive_errors": WorkerStatus.consecutive_errors + 1, "error_count": WorkerStatus.error_count + 1}
    _write(engine, name, values | ({"heartbeat_at": now, "owner": owner} if beat else {}))


def heartbeat(engine: Engine, name: str, now: datetime, owner: str) -> None:
    _write(engine, name, {"heartbeat_at": now, "owner": owner})


def started(engine: Engine, name: str, now: datetime, owner: str) -> None:
    _write(engine, name, {"started_at": now, "stopped_at": None, "heartbeat_at": now, "owner": owner})


def stopped(engine: Engine, name: str, now: datetime, owner: str) -> None:
    _write(engine, name, {"stopped_at": now, "owner": owner})


def quietly(write: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Record health without ever breaking the work it describes (a busy or lost database is logged, not raised)."""
    try:
        write(*args, **kwargs)
    except Exception as exc:
        log.warning("health status not recorded (%s): %s: %s", getattr(write, "__name__", "write"),
                    type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")


def status(session: Session, name: str) -> ComponentStatus | None:
    row = session.get(WorkerStatus, name, populate_existing=True)
    if row is None:
        return None
    return ComponentStatus(
        row.name, row.started_at, row.stopped_at, row.heartbeat_at, row.last_ok_at, row.last_error_at,
        row.failing_since, row.error_kind, row.last_error, row.consecutive_errors, int(row.ok_count),
        int(row.error_count))


def outbox_stats(session: Session, with_sent: bool = True) -> OutboxStats:
    """Rows by status and kind (`with_sent`: the sent ones too, the bulk of the table, for /metrics)."""
    query = select(OutboxMessage.status, OutboxMessage.kind, func.count()).group_by(OutboxMessage.status,
                                                                                   OutboxMessage.kind)
    if not with_sent:
        query = query.where(OutboxMessage.status.in_([s.value for s in OutboxStatus if s != OutboxStatus.SENT]))
    counts = {(status, kind): int(n) for status, kind, n in session.execute(query)}
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(UNSENT)))
    return OutboxStats(counts, oldest)  # min() keeps the column's type: an aware UTC datetime


_IN_QUARANTINE = (RawMessage.state == RawState.PROCESSED.value, RawMessage.outcome == Outcome.QUARANTINED.value)


def quarantine_stats(session: Session, now: datetime, window: timedelta) -> QuarantineStats:
    size, recent = session.execute(select(
        func.count(), func.count(case((RawMessage.processed_at >= now - window, 1)))).where(*_IN_QUARANTINE)).one()
    return QuarantineStats(int(size), int(recent or 0))


def mails_by_outcome(session: Session) -> dict[str, int]:
    """Decisions taken, by outcome (a mail reprocessed from quarantine counts again), and duplicate copies."""
    counts = {str(outcome): int(n) for outcome, n in session.execute(
        select(DecisionLog.outcome, func.count()).group_by(DecisionLog.outcome))}
    duplicates = session.scalar(select(func.count()).where(RawMessage.state == RawState.DUPLICATE.value)) or 0
    counts[Outcome.DUPLICATE.value] = counts.get(Outcome.DUPLICATE.value, 0) + int(duplicates)
    return counts
