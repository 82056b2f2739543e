"""Shared fixtures: settings in a temp folder, SQLite and PostgreSQL databases, a real SMTP server, the CLI."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from inbox_worker.cli import main
from inbox_worker.config import Settings, settings_from_dict
from inbox_worker.store.db import make_engine, migrate
from inbox_worker.store.registry_import import import_registry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
MAIL = FIXTURES / "mail"
DEMO = ROOT / "inbox_worker" / "demo"
CORPORA = ROOT.parent / "shared" / "corpora"


def mail_bytes(name: str) -> bytes:
    return (MAIL / name).read_bytes()


# --- PostgreSQL: one fresh database per test run, a clean schema per test ---------------------------


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str | None]:
    url = os.environ.get("INBOX_TEST_PG_URL")
    if not url:
        yield None
        return
    name = f"inbox_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("INBOX_TEST_REQUIRE_PG"):
            raise
        pytest.skip(f"PostgreSQL at INBOX_TEST_PG_URL is not reachable: {exc}")
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _prepare(url: str) -> None:
    """The schema at the newest revision and the demo registry: what the `engine` fixture gives a test."""
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO / "registry.toml")
    engine.dispose()


# A test that uses `engine` starts from a copy of a database prepared once per worker: migrating every
# revision for every test was a large part of the suite's time (about 0.7 s a test on PostgreSQL, more under
# load). Other tests (migrations, init-db, doctor) get an empty database, as before. `engine` still migrates
# and imports: on a copy both find nothing to do.
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "inbox.db"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str | None) -> Iterator[str | None]:
    """The name of a PostgreSQL database prepared as a template (CREATE DATABASE ... TEMPLATE copies it)."""
    if pg_admin_url is None:
        yield None
        return
    name = f"{make_url(pg_admin_url).database}_tmpl"
    admin = create_engine(os.environ["INBOX_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    _prepare(make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False))
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# The schema's fingerprint: a test that changed the schema itself (none should) gets the database rebuilt.
_SCHEMA_FINGERPRINT = text("""
    SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
        SELECT 'c:' || table_name || '.' || column_name || ':' || data_type AS item
          FROM information_schema.columns WHERE table_schema = 'public'
        UNION ALL SELECT 'i:' || indexname FROM pg_indexes WHERE schemaname = 'public'
        UNION ALL SELECT 't:' || tgname FROM pg_trigger WHERE NOT tgisinternal
        UNION ALL SELECT 'f:' || proname FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace
                   WHERE nspname = 'public'
        UNION ALL SELECT 'v:' || version_num FROM alembic_version) AS schema_items""")
_OWNED_SEQUENCES = text("""
    SELECT t.relname, a.attname FROM pg_class s
      JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE s.relkind = 'S' AND n.nspname = 'public'""")


class PgWorkDatabase:
    """One PostgreSQL database per test process, put back to the template's content before each test.

    Creating a database from the template for every test (and dropping it after) cost about 1.5 s a test
    under the suite's load, nearly half the time of the web tests. Emptying the tables and writing the
    template's rows back (the demo registry) and the sequences to match costs a few tens of milliseconds. What a
    test leaves that this could miss is caught: connections still open are ended first (as DROP ... FORCE
    did), and a changed schema has the database rebuilt from the template.
    """

    def __init__(self, admin: Engine, template: str, url: str) -> None:
        self.admin, self.template, self.url = admin, template, url
        self.name = str(make_url(url).database)
        self._create()
        engine = create_engine(url)
        with engine.connect() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            self.tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
            self.rows = {t.name: [dict(r._mapping) for r in connection.execute(t.select())] for t in self.tables}
            self.sequences = [(str(table), str(column)) for table, column in connection.execute(_OWNED_SEQUENCES)]
            self.fingerprint = connection.scalar(_SCHEMA_FINGERPRINT)
        engine.dispose()
        self.engine = create_engine(url, poolclass=NullPool)

    def _create(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"'))

    def _schema_unchanged(self) -> bool:
        try:
            with self.engine.connect() as connection:
                return bool(connection.scalar(_SCHEMA_FINGERPRINT) == self.fingerprint)
        except Exception:  # alembic_version gone, say
            return False

    def reset(self) -> None:
        with self.admin.connect() as connection:  # what the last test left connected (a pool, a thread)
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.name})
        if not self._schema_unchanged():
            self._create()
            return
        with self.engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))  # rows in any order
            for table in self.tables:  # DELETE, not TRUNCATE: a truncate of 30 tables is ten times slower
                connection.execute(table.delete())
            for table in self.tables:
                if self.rows[table.name]:
                    connection.execute(table.insert(), self.rows[table.name])
            for table_name, column in self.sequences:
                connection.execute(text(
                    f'SELECT setval(pg_get_serial_sequence(\'"{table_name}"\', :column), '
                    f'coalesce(max("{column}"), 1), max("{column}") IS NOT NULL) FROM "{table_name}"'),
                    {"column": column})

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_work(pg_admin_url: str | None, pg_template: str | None) -> Iterator[PgWorkDatabase | None]:
    if pg_admin_url is None or pg_template is None:
        yield None
        return
    admin = create_engine(os.environ["INBOX_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
    url = make_url(pg_admin_url).set(database=f"{make_url(pg_admin_url).database}_work")
    work = PgWorkDatabase(admin, pg_template, url.render_as_string(hide_password=False))
    yield work
    work.drop()
    admin.dispose()


def _wants_engine(request: pytest.FixtureRequest) -> bool:
    return "engine" in request.fixturenames


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "inbox.db"
        if _wants_engine(request):
            template = request.getfixturevalue("sqlite_template")
            for suffix in ("", "-wal"):  # the log too, should the last close have left one
                if Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")
        yield f"sqlite:///{path}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    if admin_url is None:
        pytest.skip("PostgreSQL tests need INBOX_TEST_PG_URL (set by .ci/run)")
    if _wants_engine(request):
        work: PgWorkDatabase = request.getfixturevalue("pg_work")
        work.reset()
        yield work.url
        return
    engine = create_engine(admin_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield str(admin_url)


def make_settings(tmp_path: Path, db_url: str, **sections: dict[str, Any]) -> Settings:
    data: dict[str, Any] = {
        "database": {"url": db_url},
        "storage": {"attachments_dir": str(tmp_path / "attachments")},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return settings_from_dict(data, "test-config")


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database.url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO / "registry.toml")
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, f"sqlite:///{tmp_path / 'inbox.db'}")


# --- the command line, in process ------------------------------------------------------------------


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json_lines(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def write_config(tmp_path: Path, settings: Settings) -> Path:
    """A config file equal to `settings` (the parts tests vary), for driving the real CLI."""
    path = tmp_path / "config.toml"
    smtp = settings.smtp
    path.write_text(
        f'[database]\nurl = "{settings.database.url}"\n'
        f'[storage]\nattachments_dir = "{settings.storage.attachments_dir}"\n'
        f"max_attachment_mb = {settings.storage.max_attachment_mb}\n"
        f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nstarttls = {str(smtp.starttls).lower()}\n'
        f"[outbox]\nbackoff_seconds = {settings.outbox.backoff_seconds}\n"
        f"max_attempts = {settings.outbox.max_attempts}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def cli(tmp_path: Path, settings: Settings) -> Any:
    def run(*args: str, config: Path | None = None) -> CliResult:
        config = config or write_config(tmp_path, settings)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--config", str(config), *args])
            except SystemExit as exc:  # argparse: --help, and a bad command line (exit 2)
                code = int(exc.code or 0)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


# --- a real SMTP server (aiosmtpd) ------------------------------------------------------------------


@dataclass
class SmtpCapture:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "550 5.1.1 no such user" or "451 4.3.0 try later"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpCapture]:
    from aiosmtpd.controller import Controller

    # aiosmtpd's readiness check connects to the configured port, so port 0 cannot be used: pick one.
    capture = SmtpCapture("127.0.0.1", free_port())
    controller = Controller(capture, hostname="127.0.0.1", port=capture.port)
    controller.start()
    yield capture
    controller.stop()


@pytest.fixture
def smtp_settings(tmp_path: Path, db_url: str, smtp_server: SmtpCapture) -> Settings:
    return make_settings(tmp_path, db_url, smtp={"host": smtp_server.host, "port": smtp_server.port,
                                                  "starttls": False})


# --- a real IMAP server (Dovecot) -------------------------------------------------------------------


@pytest.fixture
def dovecot() -> Iterator[Any]:
    from tests.dovecot import dovecot_available, start_dovecot

    if not dovecot_available():
        if os.environ.get("CI"):
            raise RuntimeError("Dovecot is missing in CI: `make test` installs dovecot-imapd")
        pytest.skip("Dovecot is not installed (make test installs Debian's dovecot-imapd)")
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture
def imap_settings(tmp_path: Path, db_url: str, dovecot: Any) -> Settings:
    return make_settings(tmp_path, db_url, mailbox={
        "host": "127.0.0.1", "port": dovecot.port, "ssl": False, "username": dovecot.user,
        "password": dovecot.password, "processed_folder": "Behandlet", "batch_size": 20,
        "idle_seconds": 30, "timeout_seconds": 10.0})


def json_batch(runner: Any, batch: list[Any], now: Any = None) -> list[dict[str, Any]]:
    """A batch through the runner, as the decision objects `ingest --json` prints."""
    return [decision.as_json() for decision in runner.process_batch(batch, now=now)]
