"""Create database engines: SQLite tuned for a single-writer worker, PostgreSQL as configured, read-only on demand."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from inbox_worker.errors import UserError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (below) instead of pysqlite's lazy BEGIN,
    # which runs reads outside any transaction and so cannot make check-then-write atomic.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the web UI read while the worker writes; NORMAL sync is durable across process crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """A read-write engine; for SQLite the folder of the database file is created when missing."""
    try:
        parsed = make_url(url)
    except Exception:
        raise UserError(f"database.url is not a valid database URL: {url!r}") from None
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        # One writer at a time, decided at BEGIN: two workers can never both see a mail as unprocessed.
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    if parsed.get_backend_name() == "sqlite":
        return create_engine(url)
    return create_engine(url, pool_pre_ping=True)


def make_readonly_engine(url: str) -> Engine | None:
    """An engine that cannot write (for `explain`), or None when the SQLite file does not exist yet."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return None
        uri = f"file:{path.resolve()}?mode=ro"
        return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    if make_url(url).get_backend_name() == "sqlite":
        return None
    return create_engine(url, execution_options={"postgresql_readonly": True})


def schema_ready(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


def require_schema(engine: Engine) -> None:
    if not schema_ready(engine):
        raise UserError(f"the database {engine.url.render_as_string(hide_password=True)} has no schema yet: "
                        "run 'inbox-worker init-db' first")


def migrate(engine: Engine) -> str:
    """Create or upgrade the schema to the newest Alembic revision; returns that revision."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        return str(MigrationContext.configure(connection).get_current_revision())
