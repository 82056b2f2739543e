"""What the health checks and staff alerts look at, as plain data: status rows, outbox, quarantine, disk, alerts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class FailureKind(enum.StrEnum):
    """Why talking to a server failed, as far as the adapter can tell (IMAP: mail/sources/imap, SMTP: outbound/smtp)."""

    LOGIN_REFUSED = "login_refused"  # the server answered, and refused our credentials
    UNREACHABLE = "unreachable"  # no usable connection: refused, name not resolved, timeout, TLS, dropped
    REFUSED = "refused"  # a temporary refusal of a command (an SMTP 4xx)
    UNCERTAIN = "uncertain"  # SMTP: the message went over, its reply never came
    ERROR = "error"  # anything else (a bug, a protocol surprise)


# The names of the status rows besides the one per mailbox (whose name is the mailbox key).
SMTP_COMPONENT = "smtp"
SUMMARY_COMPONENT = "summary"


@dataclass(frozen=True)
class ComponentStatus:
    """One row of `worker_status`: a mailbox's poll loop (and `run`'s heartbeat), SMTP delivery, or the summary job."""

    name: str
    started_at: datetime | None = None  # `run` started (mailbox rows)
    stopped_at: datetime | None = None  # `run` stopped cleanly
    heartbeat_at: datetime | None = None  # the worker was last alive (each poll, and every minute while `run` is up)
    last_ok_at: datetime | None = None
    last_error_at: datetime | None = None
    failing_since: datetime | None = None  # the first failure of the current streak
    error_kind: str | None = None  # a FailureKind
    last_error: str | None = None  # the server's answer or the exception, never a secret
    consecutive_errors: int = 0
    ok_count: int = 0
    error_count: int = 0

    @property
    def failing(self) -> bool:
        return self.consecutive_errors > 0

    def running(self, now: datetime, stale_seconds: float) -> bool:
        """`run` (or a poll) wrote a heartbeat within `stale_seconds`, and it did not stop cleanly since."""
        beat = self.heartbeat_at
        if beat is None or (now - beat).total_seconds() > stale_seconds:
            return False
        return self.stopped_at is None or self.stopped_at < beat


@dataclass(frozen=True)
class OutboxStats:
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (status, kind) -> rows
    oldest_unsent_at: datetime | None = None  # created_at of the oldest queued or sending row

    def with_status(self, *statuses: str) -> int:
        return sum(n for (status, _kind), n in self.counts.items() if status in statuses)


@dataclass(frozen=True)
class QuarantineStats:
    size: int = 0  # mails in quarantine now
    recent: int = 0  # of them, quarantined within the configured window


@dataclass(frozen=True)
class DiskSpace:
    path: str  # the folder measured (attachments, the SQLite database)
    free_bytes: int
    total_bytes: int

    @property
    def free_percent(self) -> float:
        return 100.0 * self.free_bytes / self.total_bytes if self.total_bytes else 100.0


@dataclass(frozen=True)
class HealthSnapshot:
    """Everything the rules need, read at one moment (store/health.py, plus the disk measured at the edge)."""

    now: datetime
    mailbox: str
    poll: ComponentStatus | None = None
    smtp: ComponentStatus | None = None
    summary: ComponentStatus | None = None
    outbox: OutboxStats = OutboxStats()
    quarantine: QuarantineStats = QuarantineStats()
    disks: tuple[DiskSpace, ...] = ()
    mails_by_outcome: dict[str, int] = field(default_factory=dict)  # for /metrics


@dataclass(frozen=True)
class AlertState:
    """A condition seen and not yet cleared: since when, and whether staff were mailed about it (`alert_state`)."""

    condition: str
    first_seen_at: datetime  # the first evaluation that saw it
    since: datetime  # when the problem began (from the data when it says, else first_seen_at)
    alerted_at: datetime | None = None
    alert_outbox_id: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # what the alert said (the recovery notice repeats it)
