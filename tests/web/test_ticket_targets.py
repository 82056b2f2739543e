"""The response clocks from the web: a reply meets the first response, waiting pauses, staff set targets by
hand (CSRF-checked, audited, Danish messages), in the Flask client and once in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AuditEntry, ResponseEvent
from inbox_worker.web.server import create_staff
from tests.mailbuilder import build_mail
from tests.web.conftest import PASSWORD, audit_actions, text_of, ticket_row
from tests.web.live import log_in
from tests.web.test_browser import _screenshot, server  # noqa: F401  (fixtures)

Post = Callable[..., Any]


def _events(engine: Engine, number: int) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        return [(e.event, e.actor) for e in session.scalars(
            select(ResponseEvent).where(ResponseEvent.ticket_id == number).order_by(ResponseEvent.id))]


def _audit_clock(engine: Engine, number: int) -> dict[str, Any]:
    with Session(engine) as session:
        return {a.action: a.details.get("clock") for a in session.scalars(
            select(AuditEntry).where(AuditEntry.ticket_id == number).order_by(AuditEntry.id))}


def test_a_reply_from_the_ticket_page_meets_the_first_response_and_waiting_pauses_the_resolution(
        post: Post, engine: Engine, ticket: int) -> None:
    assert ticket_row(engine, ticket).first_response_at is None  # the acknowledgement was queued: no answer

    post(f"/tickets/{ticket}/reply", body="Hej Lone\n\nVi kigger på printeren.", then="waiting")

    replied = ticket_row(engine, ticket)
    assert replied.first_response_at is not None and replied.paused_at == replied.first_response_at
    assert replied.status == "waiting" and replied.next_due_at is None  # answered, and the resolution stands still
    assert _events(engine, ticket) == [("started", None), ("first-response", "JH"), ("paused", "JH")]
    assert _audit_clock(engine, ticket) == {"reply": ["first-response"], "set-status": ["paused"]}


def test_staff_set_targets_by_hand_with_a_reason_and_it_is_audited(post: Post, client: FlaskClient,
                                                                   engine: Engine, ticket: int) -> None:
    before = ticket_row(engine, ticket)
    post(f"/tickets/{ticket}/targets", first="1:30", resolution="7t", clock="", reason="Aftalt med Lone")

    changed = ticket_row(engine, ticket)
    assert (changed.response_rule, changed.first_response_minutes, changed.resolution_minutes) == (
        "staff-override", 90, 420)
    assert changed.clock_mode == before.clock_mode and changed.clock_started_at == before.clock_started_at
    assert _events(engine, ticket)[-1] == ("overridden", "JH")
    assert audit_actions(engine, ticket) == ["set-targets"]
    page = text_of(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert "Fristerne er ændret" in page and "Frister ændret" in page  # the flash and the audit log's label
    assert "Frister sat af en medarbejder: Aftalt med Lone" in page  # the thread's event entry


def test_wrong_targets_are_refused_with_a_danish_message_and_change_nothing(post: Post, client: FlaskClient,
                                                                           engine: Engine, ticket: int) -> None:
    for form, message in (
            ({"first": "halvanden time", "resolution": "7t", "reason": "x"}, "Første svar: skriv arbejdsminutter"),
            ({"first": "90", "resolution": "60", "reason": "x"}, "kan ikke være længere end fristen for løsning"),
            ({"first": "90", "resolution": "7t", "reason": " "}, "skriv en begrundelse"),
            ({"first": "90", "resolution": "7t", "reason": "x", "clock": "altid"}, "døgnet rundt (around_the_clock)")):
        post(f"/tickets/{ticket}/targets", **form)
        assert message in text_of(client.get(f"/tickets/{ticket}").get_data(as_text=True)), form
    assert ticket_row(engine, ticket).response_rule == "response-normal"
    assert audit_actions(engine, ticket) == [] and _events(engine, ticket) == [("started", None)]


def test_setting_targets_needs_the_csrf_token(client: FlaskClient, engine: Engine, ticket: int) -> None:
    form = {"first": "60", "resolution": "120", "reason": "Forfalsket"}
    for data in (form, {**form, "csrf_token": "forfalsket"}):
        response = client.post(f"/tickets/{ticket}/targets", data=data)
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert ticket_row(engine, ticket).response_rule == "response-normal" and audit_actions(engine, ticket) == []


def test_staff_set_a_tickets_targets_in_chromium(browser: Any, server: str, settings: Settings,  # noqa: F811
                                                 engine: Engine, db_url: str) -> None:
    create_staff(engine, "jh@mico.dk", "Jens Hansen", "JH", PASSWORD)
    number = Runner(settings, engine).process(build_mail(), "test")["ticket"]
    page = browser.new_page()
    log_in(page, server, "jh@mico.dk", PASSWORD)
    page.goto(f"{server}/tickets/{number}")
    page.click("#ret-frister summary")  # folded in the side panel
    form = page.locator("form#set-targets")
    assert "første svar 4 t, løst 21 t (i åbningstiden) · response-normal" in form.inner_text()
    form.locator("input[name=first]").fill("1t")
    form.locator("input[name=resolution]").fill("2:30")
    form.locator("select[name=clock]").select_option("around_the_clock")
    form.locator("input[name=reason]").fill("Kassen står stille: aftalt med Lone")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Fristerne er ændret")
    page.click("#ret-frister summary")
    assert "første svar 1 t, løst 2 t 30 min (døgnet rundt) · staff-override" in page.locator(
        "form#set-targets").inner_text()
    _screenshot(page, "ticket-targets", db_url)
    changed = ticket_row(engine, number)
    assert (changed.first_response_minutes, changed.resolution_minutes, changed.clock_mode) == (
        60, 150, "around_the_clock")
