"""End to end in headless Chromium against `inbox-worker web`: login, queue, hostile mail, coverage, time, reply.

The hostile mail's payloads would set `window.__pwned`; a control page proves they do when rendered raw.
Screenshots of the queue, the ticket page and its time section are saved under var/screenshots/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage
from inbox_worker.web.server import create_staff
from tests.conftest import ROOT, free_port, write_config
from tests.web.conftest import PASSWORD
from tests.web.hostile import PAYLOAD, hostile_mail

SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture
def server(tmp_path: Path, settings: Settings, engine: Engine) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "inbox_worker", "--config", str(write_config(tmp_path, settings)),
                                "web", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                urllib.request.urlopen(f"{url}/login", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_payloads_are_live_when_rendered_raw(browser: Any) -> None:
    """The control: without our page, the same HTML does set the flag (so 'unset' below means something)."""
    page = browser.new_page()
    page.set_content(f"<html><body>{PAYLOAD}</body></html>")
    assert page.evaluate("window.__pwned") in ("script", "onerror", "svg")
    page.evaluate("window.__pwned = undefined")
    page.click("#jslink")
    page.wait_for_function("window.__pwned === 'link'", timeout=5000)  # a javascript: link runs after the click


def _screenshot(page: Any, name: str, db_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if db_url.startswith("sqlite") else "-postgres"
    page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)


def test_staff_triage_a_hostile_mail_and_reply_in_chromium(browser: Any, server: str, settings: Settings,
                                                          engine: Engine, db_url: str) -> None:
    create_staff(engine, "jh@mico.dk", "Jens Hansen", "JH", PASSWORD)
    number = Runner(settings, engine).process(hostile_mail(), "test")["ticket"]
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{server}/")
    assert "/login" in page.url
    page.fill("input[name=email]", "jh@mico.dk")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("table.queue")
    assert page.locator(f"a[href='/tickets/{number}']").first.is_visible()
    _screenshot(page, "queue", db_url)

    page.click(f"a[href='/tickets/{number}'] >> nth=1")
    page.wait_for_selector("pre.body")
    assert "<script>window.__pwned" in page.locator("pre.body").first.inner_text()  # shown, as text
    assert page.evaluate("window.__pwned") is None
    _screenshot(page, "ticket", db_url)

    page.click("text=Vis HTML-version (renset)")
    page.wait_for_selector(".mailhtml")
    page.click("text=Klik her for at se fakturaen")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".mailhtml img").count() == 1 and page.locator(".mailhtml img[src]").count() == 0

    page.goto(f"{server}/tickets/{number}")
    _override_coverage_and_log_time(page)
    _screenshot(page, "ticket-time", db_url)
    page.fill("textarea[name=body]", "Hej Lone\n\nFakturaen er ægte nok; vi ser på det i dag.")
    page.click("button[name=then][value='']")  # "Send": the status stays as it is
    page.wait_for_selector("text=Svaret ligger i udbakken")
    sent = page.locator("article.outbound", has_text="vi ser på det i dag")
    assert sent.count() == 1  # the staff reply, folded to its first words
    sent.locator("summary").click()
    assert "Fakturaen er ægte nok" in sent.locator("pre.body").inner_text()  # the mail as sent, on demand
    assert page.evaluate("window.__pwned") is None and dialogs == []

    with Session(engine) as session:
        reply = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reply"))
    assert reply is not None and reply.subject.startswith(f"[MICO #{number}] Faktura")
    assert reply.recipient == "lone@bageriet-soerensen.dk" and reply.status == "queued"


def _override_coverage_and_log_time(page: Any) -> None:
    """Staff make the ticket billable at the no-agreement rate, log 45 minutes, and see both on the page."""
    page.click("#tid-og-daekning > summary")  # time and coverage are folded below the thread
    form = page.locator("form#set-coverage")
    form.locator("select[name=status]").select_option("billable")
    form.locator("select[name=rate]").select_option("none")
    form.locator("input[name=reason]").fill("Fakturaspørgsmål er ikke omfattet af aftalen")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Dækningen er ændret")
    page.click("#tid-og-daekning > summary")
    assert "Fakturaspørgsmål er ikke omfattet" in page.locator("table.coverage-history").inner_text()
    assert "850 kr./time" in page.locator("dl.facts >> nth=0").inner_text()

    form = page.locator("form#log-time")
    form.locator("input[name=minutes]").fill("45")
    form.locator("input[name=note]").fill("Gennemgået fakturaen med Lone")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Tiden er registreret")
    page.click("#tid-og-daekning > summary")
    assert "Gennemgået fakturaen med Lone" in page.locator("table.time").inner_text()
    assert "637,50 kr." in page.locator("#time-billable").inner_text()  # 45 min at 850 kr./t


def teardown_module() -> None:
    shutil.rmtree(ROOT / "var" / "screenshots" / ".tmp", ignore_errors=True)
