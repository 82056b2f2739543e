"""A technician's day in headless Chromium at 1400×900, once with the keyboard shortcuts and once with
JavaScript disabled: open the queue, go to the third ticket, answer it with a canned reply whose variable
is filled in, "Send og luk", assign two tickets at once, search a Danish inflected word that finds its stem
in a mail's body, and add an unknown sender as a contact, after which the next mail from that address is
linked to the customer and the contact. Real mail through the worker's Runner; no CSP violation on the way.
The screenshots of the queue and the ticket page are kept in var/screenshots/."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage
from tests.conftest import make_settings
from tests.mailbuilder import build_mail
from tests.web.conftest import PASSWORD, ticket_row
from tests.web.live import log_in, serving
from tests.web.test_browser import _screenshot

SCREEN = {"width": 1400, "height": 900}
LONE = ("lone@bageriet-soerensen.dk", "Lone Sørensen")
NEW_BAKER = ("ny.bager@bageriet-soerensen.dk", "Ny Bager")  # the bakery's domain, an address not in the registry


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """The shipped page size: every ticket of the day on one page."""
    return make_settings(tmp_path, db_url, web={"secret_key": "test-secret-key-not-for-production"})


@pytest.fixture
def worker(settings: Settings, engine: Engine) -> Runner:
    return Runner(settings, engine)


@pytest.fixture
def morning(worker: Runner, staff: dict[str, str]) -> dict[str, int]:
    """The morning's mail, as the worker fetched it: Lone's tickets, one of them about the shop's computers,
    and a first mail from an address at the bakery's domain that the registry does not know."""
    mails = {
        "printer": build_mail(*LONE, subject="Printeren virker ikke",
                              body="Hej MICO\n\nPrinteren på kontoret virker ikke.\n\nMed venlig hilsen\nLone"),
        "scanner": build_mail(*LONE, subject="Scanneren sender ikke mail",
                              body="Hej\n\nScanneren på kontoret sender ikke til min mail.\n\nLone"),
        "computers": build_mail(*LONE, subject="Langsomt i butikken",
                                body="Hej\n\nAlle computerne i butikken er blevet meget langsomme siden i går.\n\nLone"),
        "wifi": build_mail(*LONE, subject="Trådløst net i baglokalet",
                           body="Hej\n\nDet trådløse net falder ud i baglokalet.\n\nLone"),
        "unknown": build_mail(*NEW_BAKER, subject="Kasseapparatet",
                              body="Hej\n\nJeg er ny i butikken. Kasseapparatet vil ikke tænde.\n\nNy Bager"),
    }
    return {name: int(worker.process(raw, "imap")["ticket"]) for name, raw in mails.items()}


def _watch(page: Any) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def _rows(page: Any) -> list[int]:
    return [int(href.rsplit("/", 1)[1]) for href in
            page.locator("table.queue tbody tr[data-href]").evaluate_all("rows => rows.map(r => r.dataset.href)")]


def _queue(page: Any, url: str, javascript: bool) -> None:
    page.goto(f"{url}/")
    page.wait_for_selector("table.queue tbody tr[data-href]")
    if javascript:  # keys.js is deferred: a key pressed before it listens would be lost
        page.wait_for_selector("html[data-keys=ready]", state="attached")


def _sent_text(engine: Engine, number: int) -> str:
    with Session(engine) as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == number,
                                                         OutboxMessage.kind == "reply"))
        assert row is not None, "no reply in the outbox"
        message = message_from_bytes(row.body)
    plain = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert isinstance(plain, Message)
    payload = plain.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(plain.get_content_charset() or "utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("javascript", [True, False], ids=["shortcuts", "no-javascript"])
def test_a_technicians_day(app: Flask, browser: Any, engine: Engine, worker: Runner, morning: dict[str, int],
                           db_url: str, javascript: bool) -> None:
    context = browser.new_context(viewport=SCREEN, java_script_enabled=javascript)
    page = context.new_page()
    violations = _watch(page)
    with serving(app) as url:
        log_in(page, url, "jh@mico.dk", PASSWORD)
        _queue(page, url, javascript)
        rows = _rows(page)
        assert set(morning.values()) <= set(rows)
        if javascript:
            _screenshot(page, "days-flow-queue-1400", db_url)

        # 1. The third ticket of the queue, by the keyboard (or its link).
        third = rows[2]
        if javascript:
            for key in ("j", "j", "j"):
                page.keyboard.press(key)
            page.keyboard.press("Enter")
        else:
            page.click(f"table.queue tbody tr[data-href='/tickets/{third}'] a[href='/tickets/{third}']")
        page.wait_for_url(f"**/tickets/{third}")
        assert page.locator("h1").first.inner_text().startswith(f"#{third}")

        # 2. A canned reply: the contact's name is filled in by the box, the visit's day and time by the technician.
        page.select_option("select[name=standardsvar]", "besoeg")
        page.click("form.canned-pick button[type=submit]")
        page.wait_for_url("**standardsvar=besoeg**")
        box = page.locator("textarea[name=body]")
        drafted = box.input_value()
        assert drafted.startswith("Hej Lone\n\n") and "[dag] kl. [tid]" in drafted
        box.fill(drafted.replace("[dag] kl. [tid]", "tirsdag kl. 10"))
        if javascript:
            _screenshot(page, "days-flow-ticket-1400", db_url)
        page.click("button[name=then][value=closed]")
        page.wait_for_selector(".flash.ok")
        assert page.locator(".flash.ok").inner_text() == "Svaret ligger i udbakken, og sagen er lukket"
        assert ticket_row(engine, third).status == "closed"
        sent = _sent_text(engine, third)
        assert sent.startswith("Hej Lone\n\n") and "kan komme forbi tirsdag kl. 10" in sent and "[dag]" not in sent

        # 3. Two tickets to Karin at once (the closed one has left the open queue).
        _queue(page, url, javascript)
        rows = _rows(page)
        assert third not in rows
        first, second = rows[:2]
        if javascript:
            for key in ("j", "x", "j", "x"):
                page.keyboard.press(key)
        else:
            page.check(f"input[name=ticket][value='{first}']")
            page.check(f"input[name=ticket][value='{second}']")
        assert page.locator("input[name=ticket]:checked").count() == 2
        page.select_option("select[name=assignee]", "KB")
        page.click("#bulk-assign")
        page.wait_for_selector(".flash.ok")
        assert page.locator(".flash.ok").inner_text() == "2 sager tildelt KB"
        assert [ticket_row(engine, n).assignee for n in (first, second)] == ["KB", "KB"]

        # 4. "computeren" finds the mail that says "computerne" (one Danish stem), and nothing else.
        if javascript:
            page.keyboard.press("/")
            page.keyboard.type("computeren")
            page.keyboard.press("Enter")
        else:
            page.fill("input[name=q]", "computeren")
            page.click("form.search button[type=submit]")
        page.wait_for_url("**q=computeren**")
        assert _rows(page) == [morning["computers"]]

        # 5. The unknown sender becomes the bakery's contact; the next mail from the address is linked.
        unknown = morning["unknown"]
        page.goto(f"{url}/tickets/{unknown}")
        assert "Ukendt afsender: ny.bager@bageriet-soerensen.dk" in page.locator("section.unknown-sender").inner_text()
        page.click("section.unknown-sender button:has-text('Opret Ny Bager som kontakt hos Bageriet Sørensen ApS')")
        page.wait_for_selector(".flash.ok")
        assert page.locator(".flash.ok").inner_text() == "Kontakten er oprettet, og sagen er koblet til den"
        assert page.locator("section.unknown-sender").count() == 0
        worker.refresh()  # the worker's next poll cycle reads the registry again
        again = worker.process(build_mail(*NEW_BAKER, subject="Kasseapparatet igen",
                                          body="Hej\n\nNu vil skuffen ikke åbne.\n\nNy Bager"), "imap")
        assert (again["customer"], again["contact"]) == ("bageriet", NEW_BAKER[0])
        page.goto(f"{url}/tickets/{again['ticket']}")
        assert page.locator("section.unknown-sender").count() == 0
        assert "Bageriet Sørensen ApS" in page.locator("main").inner_text()
        assert "Ny Bager" in page.locator("main").inner_text()
    assert violations == []
    context.close()
