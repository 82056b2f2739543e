"""A database locked by another process is nobody's fault (issue 12, item 7): one clear line, nothing lost.

`ingest` against a database another process holds locked longer than `busy_timeout_seconds` stops
with one line (no traceback) and quarantines nothing; once the lock is gone, the same command
processes the mail as if nothing had happened.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.errors import DatabaseBusy
from inbox_worker.store.db import sqlite_path
from inbox_worker.store.models import RawMessage, Ticket
from tests.conftest import FIXTURES

MAIL = FIXTURES / "mail" / "plain-danish-utf8-qp.eml"


def _sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock; PostgreSQL's lock_timeout is reported by the same is_busy")


def _config(tmp_path: Path, settings: Settings) -> Path:
    path = tmp_path / "busy.toml"
    path.write_text(f'[database]\nurl = "{settings.database.url}"\nbusy_timeout_seconds = 0.5\n'
                    f'[storage]\nattachments_dir = "{settings.storage.attachments_dir}"\n', encoding="utf-8")
    return path


def test_ingest_while_another_process_holds_the_write_lock_says_so_in_one_line(
        sqlite_settings: Settings, cli: Any, tmp_path: Path, db_url: str) -> None:
    from inbox_worker.store.db import make_engine, migrate

    _sqlite_only(db_url)
    engine: Engine = make_engine(sqlite_settings.database.url)
    migrate(engine)
    config = _config(tmp_path, sqlite_settings)
    path = sqlite_path(sqlite_settings.database.url)
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # e.g. a long backup or a stuck process
    try:
        blocked = cli("ingest", str(MAIL), config=config)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert blocked.code == 2
    assert "Traceback" not in blocked.err and len(blocked.err.strip().splitlines()) == 1
    assert "database is locked" in blocked.err and "prøv igen" in blocked.err

    done = cli("ingest", "--json", str(MAIL), config=config)
    assert done.code == 0, done.err
    assert [d["outcome"] for d in done.json_lines()] == ["new_ticket"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert session.scalars(select(RawMessage.outcome)).all() == ["new_ticket"]
    engine.dispose()


def test_a_lock_held_between_storing_and_applying_quarantines_nothing(sqlite_settings: Settings, cli: Any,
                                                                      tmp_path: Path, db_url: str) -> None:
    """The lock taken after the raw bytes were committed: the mail waits, stored, for the next run."""
    _sqlite_only(db_url)
    from inbox_worker.mail.incoming import IncomingMail
    from inbox_worker.mail.runner import Runner
    from inbox_worker.store.db import make_engine, migrate

    settings = sqlite_settings
    engine = make_engine(settings.database.url, busy_timeout_seconds=0.3)
    migrate(engine)
    runner = Runner(settings, engine)
    batch = [IncomingMail(MAIL.read_bytes(), "test")]
    stored = runner.store(batch, datetime.now(UTC))
    path = sqlite_path(settings.database.url)
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        try:
            runner.apply_batch(batch, stored, [None], datetime.now(UTC))
        except DatabaseBusy as exc:
            assert "prøv igen" in str(exc)
        else:
            raise AssertionError("a locked database must stop the batch")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Session(engine) as session:
        assert session.scalars(select(RawMessage.state)).all() == ["received"]  # stored, not quarantined
    done = cli("ingest", "--json", str(MAIL), config=_config(tmp_path, settings))
    assert [d["outcome"] for d in done.json_lines()] == ["new_ticket"]
    engine.dispose()
