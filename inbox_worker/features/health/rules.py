"""The conditions staff are told about, as pure rules over a health snapshot: each says when its problem began.

A rule returns a Finding when its problem is there now; `since` is when it began (when the data
says; else the alert state machine counts from when it was first seen) and `threshold` how long it
must last before staff get a mail. /healthz lists the check of every finding at once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from inbox_worker.config import AlertSettings
from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.domain.health import HealthSnapshot

MB = 1024 * 1024


class Condition(enum.StrEnum):
    POLLING_FAILING = "polling-failing"  # the IMAP login is refused, or the server cannot be reached
    POLLING_STALE = "polling-stale"  # `run` is up, yet nothing was polled for too long
    WORKER_DOWN = "worker-down"  # no heartbeat from `run` (seen by /healthz and `health check`)
    SMTP_FAILING = "smtp-failing"  # outgoing mail cannot be handed to the SMTP server
    OUTBOX_FAILED = "outbox-failed"  # failed or uncertain rows wait for staff
    OUTBOX_STALE = "outbox-stale"  # the oldest unsent mail has waited too long
    QUARANTINE_GROWING = "quarantine-growing"
    SUMMARY_FAILING = "summary-failing"  # the weekly summary run failed
    DISK_LOW = "disk-low"


# The /healthz check each condition fails; "database" fails when the snapshot cannot be read at all.
CHECKS = ("database", "worker_heartbeat", "polling", "smtp", "outbox", "quarantine", "summary", "disk")
CHECK_OF = {
    Condition.POLLING_FAILING: "polling", Condition.POLLING_STALE: "polling", Condition.WORKER_DOWN: "worker_heartbeat",
    Condition.SMTP_FAILING: "smtp", Condition.OUTBOX_FAILED: "outbox", Condition.OUTBOX_STALE: "outbox",
    Condition.QUARANTINE_GROWING: "quarantine", Condition.SUMMARY_FAILING: "summary", Condition.DISK_LOW: "disk",
}


@dataclass(frozen=True)
class Finding:
    condition: Condition
    since: datetime | None  # when the problem began, when the data says
    threshold: timedelta  # how long it must have lasted before staff are mailed
    facts: dict[str, Any] = field(default_factory=dict)  # for the mail: JSON values, never a secret

    @property
    def check(self) -> str:
        return CHECK_OF[self.condition]


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def polling_failing(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    poll = s.poll
    if poll is None or not poll.failing:
        return None
    return Finding(Condition.POLLING_FAILING, poll.failing_since, _minutes(limits.after_minutes),
                   {"kind": poll.error_kind, "error": poll.last_error, "attempts": poll.consecutive_errors,
                    "mailbox": s.mailbox})


def polling_stale(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    poll = s.poll
    if poll is None or poll.failing or not poll.running(s.now, limits.heartbeat_stale_minutes * 60):
        return None
    last = poll.last_ok_at or poll.started_at
    if last is None or s.now - last < _minutes(limits.poll_stale_minutes):
        return None
    return Finding(Condition.POLLING_STALE, last, _minutes(limits.poll_stale_minutes),
                   {"mailbox": s.mailbox, "minutes": int((s.now - last).total_seconds() // 60)})


def worker_down(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    poll = s.poll
    if poll is not None and poll.running(s.now, limits.heartbeat_stale_minutes * 60):
        return None
    beat = poll.heartbeat_at if poll is not None else None
    return Finding(Condition.WORKER_DOWN, beat, timedelta(0),
                   {"mailbox": s.mailbox, "heartbeat": beat.isoformat() if beat else None,
                    "stopped": bool(poll and poll.stopped_at and beat and poll.stopped_at >= beat)})


def smtp_failing(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    smtp = s.smtp
    if smtp is None or not smtp.failing:
        return None
    waiting = s.outbox.with_status(OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)
    return Finding(Condition.SMTP_FAILING, smtp.failing_since, _minutes(limits.after_minutes),
                   {"kind": smtp.error_kind, "error": smtp.last_error, "waiting": waiting})


def outbox_failed(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    failed = s.outbox.with_status(OutboxStatus.FAILED.value)
    uncertain = s.outbox.with_status(OutboxStatus.UNCERTAIN.value)
    if not failed and not uncertain:
        return None
    return Finding(Condition.OUTBOX_FAILED, None, _minutes(limits.after_minutes),
                   {"failed": failed, "uncertain": uncertain})


def outbox_stale(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    oldest = s.outbox.oldest_unsent_at
    if oldest is None or (s.smtp is not None and s.smtp.failing):  # SMTP failing says it already
        return None
    if s.now - oldest < _minutes(limits.outbox_max_age_minutes):
        return None
    return Finding(Condition.OUTBOX_STALE, oldest, _minutes(limits.outbox_max_age_minutes),
                   {"minutes": int((s.now - oldest).total_seconds() // 60),
                    "waiting": s.outbox.with_status(OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)})


def quarantine_growing(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    q = s.quarantine
    if q.recent < limits.quarantine_new and q.size < limits.quarantine_max:
        return None
    return Finding(Condition.QUARANTINE_GROWING, None, timedelta(0),
                   {"size": q.size, "recent": q.recent, "window_minutes": limits.quarantine_window_minutes})


def summary_failing(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    summary = s.summary
    if summary is None or not summary.failing:
        return None
    return Finding(Condition.SUMMARY_FAILING, summary.failing_since, timedelta(0), {"error": summary.last_error})


def disk_low(s: HealthSnapshot, limits: AlertSettings) -> Finding | None:
    low = [d for d in s.disks
           if d.free_bytes < limits.disk_min_free_mb * MB or d.free_percent < limits.disk_min_free_percent]
    if not low:
        return None
    worst = min(low, key=lambda d: d.free_bytes)
    facts = {"path": worst.path, "free_mb": worst.free_bytes // MB, "free_percent": round(worst.free_percent, 1)}
    return Finding(Condition.DISK_LOW, None, _minutes(limits.after_minutes), facts)


RULES: tuple[Callable[[HealthSnapshot, AlertSettings], Finding | None], ...] = (
    polling_failing, polling_stale, worker_down, smtp_failing, outbox_failed, outbox_stale, quarantine_growing,
    summary_failing, disk_low)


def findings(snapshot: HealthSnapshot, limits: AlertSettings) -> list[Finding]:
    """Every condition present in the snapshot, in the order of RULES."""
    return [found for rule in RULES if (found := rule(snapshot, limits)) is not None]


def failing_checks(found: list[Finding]) -> list[str]:
    """The /healthz names of the checks that fail, in the order of CHECKS."""
    names = {f.check for f in found}
    return [check for check in CHECKS if check in names]
