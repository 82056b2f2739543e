"""Read the health snapshot (the edge of the pure rules): status rows, outbox and quarantine counts, free disk."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.health import SMTP_COMPONENT, SUMMARY_COMPONENT, DiskSpace, HealthSnapshot
from inbox_worker.features.health.rules import Finding, failing_checks, findings
from inbox_worker.mail.sources.imap import mailbox_key
from inbox_worker.store import health
from inbox_worker.store.db import READ_ONLY, sqlite_path


def _existing(path: Path) -> Path:
    """The folder itself, or its nearest existing parent (an attachments folder not made yet)."""
    path = path.absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def measure_disks(settings: Settings) -> tuple[DiskSpace, ...]:
    """Free space on each file system that holds the attachments or the SQLite database (each once)."""
    places = [Path(settings.storage.attachments_dir)]
    database = sqlite_path(settings.database.url)
    if database is not None:
        places.append(database.parent)
    seen: dict[int, DiskSpace] = {}
    for place in places:
        folder = _existing(place)
        try:
            device, usage = os.stat(folder).st_dev, shutil.disk_usage(folder)
        except OSError:
            continue
        seen.setdefault(device, DiskSpace(str(place), usage.free, usage.total))
    return tuple(seen.values())


def read_snapshot(settings: Settings, session: Session, now: datetime, *, counts: bool = False,
                  disks: tuple[DiskSpace, ...] = ()) -> HealthSnapshot:
    """What the rules look at, in the session's (read-only) transaction; `counts`: what only /metrics shows too
    (mails by outcome, sent mail by kind: the two counts that read an index as long as the history)."""
    session.connection(execution_options=READ_ONLY)
    key = mailbox_key(settings.mailbox)
    window = timedelta(minutes=settings.alerts.quarantine_window_minutes)
    return HealthSnapshot(
        now=now, mailbox=key, poll=health.status(session, key), smtp=health.status(session, SMTP_COMPONENT),
        summary=health.status(session, SUMMARY_COMPONENT), outbox=health.outbox_stats(session, with_sent=counts),
        quarantine=health.quarantine_stats(session, now, window), disks=disks,
        mails_by_outcome=health.mails_by_outcome(session) if counts else {})


@dataclass(frozen=True)
class HealthReport:
    """/healthz and `health check`: the failing checks by name, and what was found."""

    failing: tuple[str, ...]
    found: tuple[Finding, ...] = ()
    snapshot: HealthSnapshot | None = None
    errors: tuple[str, ...] = field(default=(), repr=False)  # why "database" failed (logged, never shown)

    @property
    def ok(self) -> bool:
        return not self.failing


def check_health(settings: Settings, engine: Engine, now: datetime, *, counts: bool = False) -> HealthReport:
    """Every check now; a database that cannot be read fails "database" (and nothing else can be said)."""
    disks = measure_disks(settings)
    try:
        with Session(engine) as session:
            snapshot = read_snapshot(settings, session, now, counts=counts, disks=disks)
    except Exception as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return HealthReport(("database",), errors=(f"{type(exc).__name__}: {first_line}",))
    found = tuple(findings(snapshot, settings.alerts))
    return HealthReport(tuple(failing_checks(list(found))), found, snapshot)
