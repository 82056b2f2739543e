"""Another writer holding a lock, and an app that gives up on it quickly: for the tests of what a staff
request does while the database is busy (a long ingest, an erasure)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text

from inbox_worker.config import Settings
from inbox_worker.store.db import sqlite_path


def short_lock_wait(engine: Engine) -> Engine:
    """`engine`, but giving up on a held lock after 0.2 s instead of 30 s (so the test is quick)."""
    def shorten(dbapi_connection: Any, _record: Any) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_connection.execute("PRAGMA busy_timeout=200")
        else:
            dbapi_connection.execute("SET SESSION lock_timeout = '200ms'")
            dbapi_connection.commit()
    event.listen(engine, "connect", shorten)  # after make_engine's own pragmas, so it wins
    return engine


@contextmanager
def lock_held(settings: Settings, engine: Engine, table: str) -> Iterator[None]:
    """A second connection holding a write lock: on SQLite the whole database (its only lock), on PostgreSQL
    `table` alone, so reads and other writes go through and only a write to `table` cannot."""
    path = sqlite_path(settings.database.url)
    if path is not None:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with engine.connect() as connection:
        connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        yield
        connection.rollback()
