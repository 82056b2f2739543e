"""Two people, one ticket: the page names who else has it open, and its script sees a colleague's change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from inbox_worker.store.models import Staff, TicketViewer
from tests.web.conftest import PASSWORD, csrf_of, login, text_of
from tests.web.live import log_in, serving


def _colleague(app: Flask) -> FlaskClient:
    other = app.test_client()
    assert login(other, "kb@mico.dk").status_code == 302
    return other


def test_the_page_names_a_colleague_who_has_the_ticket_open_but_not_yourself(
        client: FlaskClient, app: Flask, ticket: int) -> None:
    assert "Også åben hos" not in text_of(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    _colleague(app).get(f"/tickets/{ticket}")
    page = text_of(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert "Også åben hos: Karin Berg (KB)" in page
    assert "Jens Hansen (JH)" not in page.split("Også åben hos")[1].split("</p>")[0]


def test_a_page_left_minutes_ago_no_longer_counts_as_open(client: FlaskClient, app: Flask, engine: Engine,
                                                         ticket: int) -> None:
    _colleague(app).get(f"/tickets/{ticket}")
    client.get("/")  # ends the request the login fixture left open (test clients keep its context)
    with Session(engine) as session, session.begin():
        session.execute(update(TicketViewer).values(seen_at=datetime.now(UTC) - timedelta(minutes=4)))
    assert "Også åben hos" not in text_of(client.get(f"/tickets/{ticket}").get_data(as_text=True))


def test_the_heartbeat_tells_who_is_there_and_the_version_a_colleague_moved(
        client: FlaskClient, app: Flask, ticket: int) -> None:
    first = client.get(f"/tickets/{ticket}/presence").get_json()
    assert first["viewers"] == []
    karin = _colleague(app)
    karin.get(f"/tickets/{ticket}")
    karin.post(f"/tickets/{ticket}/note", data={"text": "Ringer i morgen", "version": str(first["version"]),
                                                "csrf_token": csrf_of(karin)})
    now = client.get(f"/tickets/{ticket}/presence").get_json()
    assert [v["initials"] for v in now["viewers"]] == ["KB"] and now["version"] == first["version"] + 1


def test_the_heartbeat_needs_a_login_and_an_existing_ticket(app: Flask, client: FlaskClient, ticket: int) -> None:
    assert app.test_client().get(f"/tickets/{ticket}/presence").status_code == 302
    assert client.get("/tickets/99999/presence").status_code == 404


def test_a_hostile_staff_name_is_shown_as_text(client: FlaskClient, app: Flask, engine: Engine, ticket: int) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Staff).where(Staff.initials == "KB").values(name='<img src=x onerror="alert(1)">'))
    _colleague(app).get(f"/tickets/{ticket}")
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page


def test_in_chromium_the_page_shows_the_colleague_and_then_that_the_ticket_changed(
        browser: Any, app: Flask, staff: dict[str, str], ticket: int) -> None:
    with serving(app) as url:
        mine, theirs = browser.new_context(viewport={"width": 1400, "height": 900}), browser.new_context()
        jens, karin = mine.new_page(), theirs.new_page()
        log_in(jens, url, "jh@mico.dk", PASSWORD)
        jens.goto(f"{url}/tickets/{ticket}")
        assert not jens.is_visible("#presence")
        log_in(karin, url, "kb@mico.dk", PASSWORD)
        karin.goto(f"{url}/tickets/{ticket}")
        jens.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the next beat, now
        jens.wait_for_selector("#presence >> text=Også åben hos: Karin Berg (KB)")
        assert not jens.is_visible(".presence-changed")

        karin.click("details.note-box summary")
        karin.fill("textarea[name=text]", "Ringer i morgen")
        karin.click("form[action$='/note'] button[type=submit]")
        jens.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        jens.wait_for_selector(".presence-changed >> text=Sagen er ændret, siden du åbnede den")
        mine.close()
        theirs.close()
