"""Web UI fixtures: the app over a migrated database with the demo registry, staff logins, tickets from real mail."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AuditEntry, Ticket
from inbox_worker.store.staff import add_staff
from inbox_worker.web import create_app
from inbox_worker.web.passwords import hash_password
from tests.conftest import make_settings
from tests.mailbuilder import build_mail

PASSWORD = "korrekt hest batteri"


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url, web={"secret_key": "test-secret-key-not-for-production",
                                                "login_max_failures": 3, "page_size": 5})


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Flask:
    app = create_app(settings, engine)
    app.testing = True
    return app


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once per test process: argon2 costs about 0.1 s a hash by design (more under load), and
    every web test has two staff members. Logging in still verifies against it, as in production."""
    return hash_password(PASSWORD)


@pytest.fixture
def staff(engine: Engine, password_hash: str) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        add_staff(session, "jh@mico.dk", "Jens Hansen", "JH", password_hash, datetime.now(UTC))
        add_staff(session, "kb@mico.dk", "Karin Berg", "KB", password_hash, datetime.now(UTC))
    return {"email": "jh@mico.dk", "initials": "JH"}


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        if "csrf" not in session:
            session["csrf"] = "t" * 43
        return str(session["csrf"])


def login(client: FlaskClient, email: str = "jh@mico.dk", password: str = PASSWORD) -> Any:
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_of(client)})


@pytest.fixture
def client(app: Flask, staff: dict[str, str]) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        assert login(client).status_code == 302
        yield client


_TICKET_PATH = re.compile(r"^/tickets/(\d+)/")


def current_version(engine: Engine, path: str) -> dict[str, str]:
    """The version field a fresh page of the ticket `path` acts on would send (nothing for other paths)."""
    number = _TICKET_PATH.match(path)
    if not number:
        return {}
    with Session(engine) as session:
        ticket = session.get(Ticket, int(number.group(1)))
        return {"version": str(ticket.version)} if ticket else {}


@pytest.fixture
def post(client: FlaskClient, engine: Engine) -> Callable[..., Any]:
    """POST a form as the logged-in staff member, with the session's CSRF token.

    A ticket action gets the ticket's current version, as from a page loaded just now, unless the test
    gives one (the stale-page tests).
    """
    def send(path: str, **form: str) -> Any:
        return client.post(path, data={**current_version(engine, path), **form, "csrf_token": csrf_of(client)})
    return send


@pytest.fixture
def ingest(settings: Settings, engine: Engine) -> Callable[[bytes], dict[str, Any]]:
    processor = Runner(settings, engine)
    return lambda raw: processor.process(raw, "test")


@pytest.fixture
def ticket(ingest: Callable[[bytes], dict[str, Any]]) -> int:
    """A ticket from Lone at Bageriet (a known contact): the printer does not work."""
    return int(ingest(build_mail())["ticket"])


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def ticket_row(engine: Engine, number: int) -> Ticket:
    """The ticket as stored now (a fresh session: what the page's action wrote)."""
    with Session(engine) as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None
        return ticket


def audit_actions(engine: Engine, number: int) -> list[str]:
    """The audit log's actions for a ticket, oldest first."""
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.ticket_id == number)
                                    .order_by(AuditEntry.id)))


@pytest.fixture(scope="session")
def _chromium_of_this_process() -> Iterator[Any]:
    from tests.web.live import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def browser(_chromium_of_this_process: Any) -> Iterator[Any]:
    """Chromium, started once per test process (a start costs 1-2 s of CPU): each test's pages live in
    contexts of their own (cookies, storage), and every context is closed after the test."""
    yield _chromium_of_this_process
    for context in list(_chromium_of_this_process.contexts):
        context.close()

