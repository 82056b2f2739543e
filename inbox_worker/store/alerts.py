"""The alert state in the database: which conditions are open, and writing an evaluation's outcome in one go.

Evaluations are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level advisory lock),
so two workers evaluating at the same moment mail staff once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from inbox_worker.domain.health import AlertState
from inbox_worker.store.models import AlertRecord

_LOCK_KEY = 0x1A1E27  # any constant: the advisory lock's name for "evaluating alerts"


def lock(session: Session) -> None:
    """Hold the alert evaluation lock until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def open_states(session: Session) -> dict[str, AlertState]:
    """The conditions seen and not cleared (pending or alerted), by condition id."""
    rows = session.scalars(select(AlertRecord).where(AlertRecord.cleared_at.is_(None))
                           .execution_options(populate_existing=True))
    return {row.condition: AlertState(row.condition, row.first_seen_at, row.since, row.alerted_at,
                                      row.alert_outbox_id, dict(row.facts or {})) for row in rows}


def save(session: Session, states: Iterable[AlertState]) -> None:
    """Write open states (new, still pending, or just alerted: with the outbox id of their alert)."""
    for state in states:
        row = session.get(AlertRecord, state.condition) or AlertRecord(condition=state.condition)
        row.first_seen_at, row.since, row.alerted_at = state.first_seen_at, state.since, state.alerted_at
        row.alert_outbox_id, row.facts, row.cleared_at, row.recovery_outbox_id = (
            state.alert_outbox_id, dict(state.facts), None, None)
        session.add(row)


def clear(session: Session, condition: str, now: datetime, recovery_outbox_id: int | None) -> None:
    """The condition is gone: its row stays as history (when it cleared, and the notice that said so)."""
    row = session.get(AlertRecord, condition)
    if row is not None:
        row.cleared_at, row.recovery_outbox_id = now, recovery_outbox_id


def alert_outbox_ids(session: Session, condition: str) -> tuple[int | None, int | None]:
    """The (alert, recovery) outbox rows of the condition's latest episode."""
    row = session.get(AlertRecord, condition)
    return (row.alert_outbox_id, row.recovery_outbox_id) if row is not None else (None, None)
