"""A staff request while another writer holds the database (a long ingest) gets a Danish 503 with Retry-After,
one log line and no traceback; never a 500 (issue item 6, web part)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg.errors
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from inbox_worker.config import Settings
from inbox_worker.store.db import is_busy as database_busy
from inbox_worker.store.db import make_engine
from inbox_worker.web import create_app
from tests.web.conftest import audit_actions, csrf_of, current_version, login
from tests.web.locks import lock_held, short_lock_wait

BUSY_TEXT = "Databasen er optaget lige nu – prøv igen om et øjeblik."


@pytest.fixture
def busy_app(settings: Settings, engine: Engine) -> Iterator[Flask]:
    app_engine = short_lock_wait(make_engine(settings.database.url))
    app = create_app(settings, app_engine)
    yield app
    app_engine.dispose()


def database_held(settings: Settings, engine: Engine) -> Any:
    """A second connection holding a write lock, as the ingest does in its transaction."""
    return lock_held(settings, engine, "tickets")


def _logged_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def test_a_post_while_the_database_is_held_is_a_danish_503_and_then_works(
        busy_app: Flask, settings: Settings, engine: Engine, staff: dict[str, str], ticket: int,
        caplog: pytest.LogCaptureFixture) -> None:
    client = _logged_in(busy_app)
    form = {"csrf_token": csrf_of(client), "text": "Ringede til Lone", **current_version(engine, f"/tickets/{ticket}/")}
    with caplog.at_level(logging.WARNING), database_held(settings, engine):
        response = client.post(f"/tickets/{ticket}/note", data=form)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert BUSY_TEXT in page and "Intet er gemt" in page
    busy = [record for record in caplog.records if "database busy" in record.getMessage()]
    assert len(busy) == 1 and busy[0].levelno == logging.WARNING and busy[0].exc_info is None
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert audit_actions(engine, ticket) == []

    assert client.post(f"/tickets/{ticket}/note", data=form).status_code == 302  # the lock gone: it works
    assert audit_actions(engine, ticket) == ["note"]


def test_a_page_while_the_database_is_held_is_a_503_too(busy_app: Flask, settings: Settings, engine: Engine,
                                                        staff: dict[str, str], ticket: int) -> None:
    client = _logged_in(busy_app)
    with database_held(settings, engine):
        response = client.get(f"/tickets/{ticket}")
    assert response.status_code == 503 and BUSY_TEXT in response.get_data(as_text=True)
    assert client.get(f"/tickets/{ticket}").status_code == 200


def _wrapped(original: Exception) -> OperationalError:
    return OperationalError("UPDATE tickets SET status = ?", {}, original)


@pytest.mark.parametrize(("original", "busy"), [
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("database table is locked: tickets"), True),
    (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), True),
    (psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"), True),
    (psycopg.errors.DeadlockDetected("deadlock detected"), True),
    (sqlite3.OperationalError("no such table: tickets"), False),
    (psycopg.errors.UndefinedColumn("column tickets.nope does not exist"), False),
])
def test_only_a_held_lock_counts_as_busy(original: Exception, busy: bool) -> None:
    assert database_busy(_wrapped(original)) is busy


def test_any_other_database_error_is_still_a_500(app: Flask, staff: dict[str, str]) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise _wrapped(sqlite3.OperationalError("no such table: tickets"))

    app.testing = False  # as served: the error is answered, not raised into the test
    client = _logged_in(app)
    assert client.get("/boom").status_code == 500
