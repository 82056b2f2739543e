"""The failed-sends desk in headless Chromium: a refused ack is sent again from the page, once, and nothing in it runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage
from inbox_worker.web.server import create_staff
from tests.conftest import SmtpCapture
from tests.web.conftest import PASSWORD
from tests.web.hostile import PAYLOAD, hostile_mail
from tests.web.live import log_in
from tests.web.test_browser import _screenshot, server  # noqa: F401  (fixtures)


def test_staff_send_a_refused_ack_again_from_the_desk_in_chromium(
    browser: Any, server: str, settings: Settings, engine: Engine, smtp_server: SmtpCapture, db_url: str  # noqa: F811
) -> None:
    smtp = replace(settings, smtp=replace(settings.smtp, host=smtp_server.host, port=smtp_server.port, starttls=False))
    create_staff(engine, "jh@mico.dk", "Jens Hansen", "JH", PASSWORD)
    Runner(settings, engine).process(hostile_mail(), "test")
    smtp_server.refuse_with = f"550 5.7.1 refused {PAYLOAD}"
    assert flush_outbox(smtp, engine).failed == 1
    smtp_server.refuse_with = None
    with Session(engine) as session:
        row_id = session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "ack")).one()

    page = browser.new_page()
    log_in(page, server, "jh@mico.dk", PASSWORD)
    page.click("text=Fejlede afsendelser")
    page.wait_for_selector(f"#outbox-{row_id}")
    assert "<script>window.__pwned" in page.locator(f"#outbox-{row_id}").inner_text()  # shown, as text
    page.click(f"#outbox-{row_id} summary")
    assert page.evaluate("window.__pwned") is None
    _screenshot(page, "outbox", db_url)

    page.click(f"#outbox-{row_id} button[value=retry]")
    page.wait_for_selector(".flash.ok")
    assert f"udbakke {row_id}: lagt i kø igen" in page.locator(".flash.ok").inner_text()
    assert page.locator(f"#outbox-{row_id}").count() == 0  # queued: off the desk

    assert flush_outbox(smtp, engine).sent == 1
    assert flush_outbox(smtp, engine, now=datetime.now(UTC) + timedelta(days=1)).sent == 0
    [ack] = smtp_server.messages
    assert ack["Auto-Submitted"] == "auto-replied"
    assert page.evaluate("window.__pwned") is None
