"""Server-side login sessions: logout, the idle timeout, the absolute lifetime, a password change and removing a
staff member end a session for good, even for someone who kept a copy of the cookie (issue item 10a)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from inbox_worker.store.models import Staff, WebSession
from inbox_worker.store.staff import remove_staff, set_password
from inbox_worker.web.passwords import hash_password
from tests.web.conftest import PASSWORD, audit_actions, csrf_of, login
from tests.web.live import log_in, serving

COOKIE = "mico_session"


def cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def cookie_contents(app: Flask, value: str) -> dict[str, Any]:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(value))


def replaying(app: Flask, value: str) -> FlaskClient:
    """A second browser holding a copy of the cookie (what a thief or a shared computer keeps)."""
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def logged_in(app: Flask, email: str = "jh@mico.dk") -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    assert client.get("/").status_code == 200  # the page sets the session's CSRF token, as a browser gets it
    return client


def sessions_of(engine: Engine, email: str) -> list[WebSession]:
    with Session(engine) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.email == email))
        return list(session.scalars(select(WebSession).where(WebSession.staff_id == staff_id)
                                    .order_by(WebSession.id)))


def test_after_logout_a_copy_of_the_cookie_opens_nothing_and_posts_nothing(app: Flask, engine: Engine,
                                                                          staff: dict[str, str], ticket: int) -> None:
    client = logged_in(app)
    stolen = cookie_of(client)
    csrf = cookie_contents(app, stolen)["csrf"]
    assert replaying(app, stolen).get("/").status_code == 200  # the control: the copy works while logged in

    assert client.post("/logout", data={"csrf_token": csrf_of(client)}).status_code == 302

    thief = replaying(app, stolen)
    for path in ("/", f"/tickets/{ticket}"):
        page = thief.get(path)
        assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    refused = thief.post(f"/tickets/{ticket}/note", data={"csrf_token": csrf, "text": "efter logud"})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert audit_actions(engine, ticket) == []  # the note was not written
    [record] = sessions_of(engine, "jh@mico.dk")
    assert record.ended_at is not None and record.end_reason == "logout"


def test_the_cookie_holds_only_a_random_token_and_the_database_only_its_hash(app: Flask, engine: Engine,
                                                                            staff: dict[str, str]) -> None:
    first, second = logged_in(app), logged_in(app)
    contents = cookie_contents(app, cookie_of(first))
    assert set(contents) <= {"sid", "csrf", "_permanent"} and "staff_id" not in contents
    token = contents["sid"]
    assert len(token) >= 40 and token != cookie_contents(app, cookie_of(second))["sid"]
    records = sessions_of(engine, "jh@mico.dk")
    assert len(records) == 2
    assert records[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in record.token_hash for record in records)


def test_logout_ends_only_that_session(app: Flask, staff: dict[str, str]) -> None:
    desk, laptop = logged_in(app), logged_in(app)
    assert desk.post("/logout", data={"csrf_token": csrf_of(desk)}).status_code == 302
    assert desk.get("/").status_code == 302
    assert laptop.get("/").status_code == 200


def _age_session(engine: Engine, **ago: timedelta) -> None:
    """Set the session's moments back by `ago` (as if that time had passed)."""
    moment = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.execute(update(WebSession).values({column: moment - delta for column, delta in ago.items()}))


def test_a_session_idle_longer_than_the_timeout_has_ended(app: Flask, engine: Engine, staff: dict[str, str]) -> None:
    client = logged_in(app)  # session_idle_minutes = 60 by default
    _age_session(engine, last_seen_at=timedelta(minutes=59))
    assert client.get("/").status_code == 200
    [record] = sessions_of(engine, "jh@mico.dk")
    assert datetime.now(UTC) - record.last_seen_at < timedelta(minutes=1)  # the request counted as activity
    _age_session(engine, last_seen_at=timedelta(minutes=61))
    assert client.get("/").headers["Location"].startswith("/login")
    [record] = sessions_of(engine, "jh@mico.dk")
    assert record.end_reason == "idle"
    _age_session(engine, last_seen_at=timedelta(0))  # an ended session stays ended
    assert client.get("/").status_code == 302


def test_a_session_ends_at_its_absolute_lifetime_however_active(app: Flask, engine: Engine,
                                                                staff: dict[str, str]) -> None:
    client = logged_in(app)  # session_hours = 12 by default
    _age_session(engine, created_at=timedelta(hours=11, minutes=59))
    assert client.get("/").status_code == 200
    _age_session(engine, created_at=timedelta(hours=12, minutes=1))
    assert client.get("/").status_code == 302
    assert sessions_of(engine, "jh@mico.dk")[0].end_reason == "expired"


def _staff_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.email == email))
    assert staff_id is not None
    return staff_id


def test_a_password_change_ends_every_session_of_that_staff_member(app: Flask, engine: Engine,
                                                                   staff: dict[str, str]) -> None:
    desk, laptop, colleague = logged_in(app), logged_in(app), logged_in(app, "kb@mico.dk")
    with Session(engine) as session, session.begin():
        set_password(session, _staff_id(engine, "jh@mico.dk"), hash_password("nyt kodeord til jens"),
                     datetime.now(UTC))
    assert desk.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert {record.end_reason for record in sessions_of(engine, "jh@mico.dk")} == {"password"}
    assert colleague.get("/").status_code == 200
    assert login(app.test_client(), password=PASSWORD).status_code == 401
    assert login(app.test_client(), password="nyt kodeord til jens").status_code == 302


def test_removing_a_staff_member_ends_their_sessions(app: Flask, engine: Engine, staff: dict[str, str]) -> None:
    client = logged_in(app)
    with Session(engine) as session, session.begin():
        remove_staff(session, _staff_id(engine, "jh@mico.dk"), datetime.now(UTC))
    assert client.get("/").status_code == 302
    assert sessions_of(engine, "jh@mico.dk")[0].end_reason == "removed"
    assert login(app.test_client()).status_code == 401


def test_in_chromium_the_cookie_kept_from_before_logout_no_longer_works(app: Flask, engine: Engine,
                                                                        staff: dict[str, str], ticket: int, browser: Any) -> None:
    with serving(app) as url:
        context = browser.new_context()
        page = context.new_page()
        log_in(page, url, "jh@mico.dk", PASSWORD)
        page.wait_for_selector("table.queue")
        kept = context.cookies()
        csrf = page.locator("form.logout input[name=csrf_token]").get_attribute("value")
        assert [cookie["name"] for cookie in kept] == [COOKIE] and kept[0]["httpOnly"]

        page.click("form.logout button[type=submit]")
        page.wait_for_url("**/login")

        other = browser.new_context()
        other.add_cookies(kept)
        replay = other.new_page()
        replay.goto(f"{url}/tickets/{ticket}")
        assert "/login" in replay.url and replay.locator("h1").inner_text() == "Log ind"
        posted = other.request.post(f"{url}/tickets/{ticket}/note", form={"csrf_token": csrf or "", "text": "x"},
                                    max_redirects=0)
        assert posted.status == 302 and posted.headers["location"].startswith("/login")
        other.close()
        context.close()
    assert audit_actions(engine, ticket) == []
