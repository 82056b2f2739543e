"""Create database engines: SQLite tuned for a single-writer worker, PostgreSQL as configured, read-only on demand."""

from __future__ import annotations

import sqlite3
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from inbox_worker.errors import UserError
from inbox_worker.store import search

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_timeout_ms: int = 30000) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (below) instead of pysqlite's lazy BEGIN,
    # which runs reads outside any transaction and so cannot make check-then-write atomic.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the web UI read while the worker writes; NORMAL sync is durable across process crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()
    search.register(dbapi_connection)  # the search index's triggers stem in Python (store/search.py)


_READ_ONLY_OPTION = "inbox_worker_read_only"
# Session.connection(execution_options=READ_ONLY) as the first thing in a session: a transaction that only reads.
READ_ONLY = {_READ_ONLY_OPTION: True}

# Every engine this process made, so a command can close them all before it exits: with SQLite in WAL
# mode the last connection to close folds the log into the database file, and that must happen when the
# command ends, not whenever the garbage collector gets to a forgotten engine (a later `explain` would
# then appear to have written to the file).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _tracked(engine: Engine) -> Engine:
    _ENGINES.add(engine)
    return engine


def dispose_engines() -> None:
    """Close the connections of every engine made so far (end of a command)."""
    for engine in list(_ENGINES):
        engine.dispose()

# What a database says when another transaction holds the lock longer than we wait (SQLite), or when
# PostgreSQL gives up on a lock, a deadlock or a serialisation conflict: try again later, no fault of the data.
_BUSY_SQLITE = ("database is locked", "database table is locked", "database is busy")
_BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is the database being busy, not something wrong with the data."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OperationalError | DBAPIError):
            original = getattr(current, "orig", None)
            text = str(original or current).lower()
            code = getattr(original, "sqlite_errorcode", None)  # SQLITE_BUSY (5), SQLITE_LOCKED (6)
            if any(marker in text for marker in _BUSY_SQLITE) or (isinstance(code, int) and code & 0xFF in (5, 6)) \
                    or getattr(original, "sqlstate", None) in _BUSY_SQLSTATES:
                return True
        current = current.__cause__ or current.__context__
    return False


def make_engine(url: str, busy_timeout_seconds: float = 30.0) -> Engine:
    """A read-write engine; for SQLite the folder of the database file is created when missing.

    `busy_timeout_seconds`: how long a statement waits for another process's lock (SQLite busy_timeout,
    PostgreSQL lock_timeout) before it fails, and is reported as the database being busy (is_busy).
    """
    timeout_ms = max(0, int(busy_timeout_seconds * 1000))
    try:
        parsed = make_url(url)
    except Exception:
        raise UserError(f"database.url er ikke en gyldig database-URL: {url!r}") from None
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = _tracked(create_engine(url))
        event.listen(engine, "connect", lambda connection, record: _sqlite_pragmas(connection, record, timeout_ms))
        # One writer at a time, decided at BEGIN: two workers can never both see a mail as unprocessed.
        # A transaction that only reads (READ_ONLY) begins deferred: in WAL mode it neither takes nor waits
        # for the write lock, so deciding a large mail never holds up the web UI.
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql(
            "BEGIN" if connection.get_execution_options().get(_READ_ONLY_OPTION) else "BEGIN IMMEDIATE"))
        return engine
    if parsed.get_backend_name() == "sqlite":
        engine = _tracked(create_engine(url))
        event.listen(engine, "connect", lambda connection, record: search.register(connection))
        return engine
    return _tracked(create_engine(url, pool_pre_ping=True,
                                  connect_args={"options": f"-c lock_timeout={timeout_ms}"}))


def make_readonly_engine(url: str, connect_timeout_seconds: int | None = None) -> Engine | None:
    """An engine that cannot write (for `explain`), or None when the SQLite file does not exist yet.

    `connect_timeout_seconds`: give up on a PostgreSQL server that does not answer (default: wait as libpq does).
    """
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return None
        uri = f"file:{path.resolve()}?mode=ro"
        return _tracked(create_engine("sqlite://",
                                      creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)))
    if make_url(url).get_backend_name() == "sqlite":
        return None
    connect_args = {"connect_timeout": connect_timeout_seconds} if connect_timeout_seconds else {}
    return _tracked(create_engine(url, execution_options={"postgresql_readonly": True}, connect_args=connect_args))


def schema_ready(engine: Engine) -> bool:
    with engine.connect().execution_options(**READ_ONLY) as connection:
        return inspect(connection).has_table("alembic_version")


def require_schema(engine: Engine) -> None:
    if not schema_ready(engine):
        raise UserError(f"databasen {engine.url.render_as_string(hide_password=True)} har intet skema endnu: "
                        "kør 'inbox-worker init-db' først")


def _migrations() -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The newest schema revision this version of inbox-worker ships."""
    return str(_migrations().get_current_head())


def is_known_revision(revision: str) -> bool:
    """Whether `revision` is one of this version's migrations (else the database is from a newer version)."""
    return any(script.revision == revision for script in _migrations().walk_revisions())


def schema_revision(engine: Engine) -> str | None:
    """The database's schema revision (Alembic), or None when it has no schema yet."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect().execution_options(**READ_ONLY) as connection:
        return MigrationContext.configure(connection).get_current_revision()


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
