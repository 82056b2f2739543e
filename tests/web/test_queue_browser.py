"""The queue in headless Chromium at 1400×900, as a technician works it: one line per ticket and at least 15 of
them on the screen, the keyboard (j/k, Enter, x, "/", "?") and a bulk assignment; the same bulk assignment
with JavaScript disabled. No Content Security Policy violation on the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.store.models import Customer, Ticket, TicketEntry
from tests.clockseed import EMERGENCY, NORMAL, start_clocks
from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, ticket_row
from tests.web.live import log_in, serving
from tests.web.test_browser import _screenshot

SCREEN = {"width": 1400, "height": 900}
LONG_ADDRESS = "regnskabsafdelingen.hovedkontoret@meget-lang-kundedomæne-med-bindestreger.dk"


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """The shipped page size (the other web tests page by 5)."""
    return make_settings(tmp_path, db_url, web={"secret_key": "test-secret-key-not-for-production"})


@pytest.fixture
def numbers(engine: Engine, staff: dict[str, str]) -> list[int]:
    """24 open tickets: every third from Lone at Bageriet (a customer and contact with names), the others with
    long subjects, long addresses and a long first mail (what wraps a row if anything does); some with clocks."""
    now = datetime.now(UTC)
    created = []
    with Session(engine) as session, session.begin():
        bakery = session.scalar(select(Customer.id).where(Customer.key == "bageriet"))
        for n in range(24):
            at = now - timedelta(minutes=100 - n)
            known = n % 3 == 0
            ticket = Ticket(subject="Printeren virker ikke" if known else
                            f"Sag {n}: printeren på første sal skriver kun halve sider ud, og scanneren sender ikke "
                            "længere til mappen på serveren", from_address=LONG_ADDRESS,
                            customer_id=bakery if known else None,
                            contact_email="lone@bageriet-soerensen.dk" if known else None,
                            review=["unknown-sender", "low-confidence"] if n % 5 == 0 else [],
                            created_at=at, updated_at=at)
            session.add(ticket)
            session.flush()
            session.add(TicketEntry(ticket_id=ticket.id, kind="inbound", author=LONG_ADDRESS, created_at=at,
                                    body_text="Hej\n\nDet virker stadig ikke, selv efter genstart af alle maskiner."))
            if n % 4 == 1:
                start_clocks(session, ticket, EMERGENCY if n % 8 == 1 else NORMAL, at - timedelta(hours=n % 3))
            created.append(ticket.id)
    return created


def _watch(page: Any) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def _queue(browser: Any, url: str, javascript: bool = True) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport=SCREEN, java_script_enabled=javascript)
    page = context.new_page()
    violations = _watch(page)
    log_in(page, url, "jh@mico.dk", PASSWORD)
    page.wait_for_selector("table.queue tbody tr[data-href]")
    if javascript:  # keys.js is deferred: a key pressed before it listens would be lost
        page.wait_for_selector("html[data-keys=ready]", state="attached")
    return page, violations


def _row_numbers(page: Any) -> list[int]:
    return [int(href.rsplit("/", 1)[1]) for href in
            page.locator("table.queue tbody tr[data-href]").evaluate_all("rows => rows.map(r => r.dataset.href)")]


def test_each_row_is_one_line_and_fifteen_fit_on_the_screen(app: Flask, browser: Any, numbers: list[int],
                                                            db_url: str) -> None:
    with serving(app) as url:
        page, violations = _queue(browser, url)
        # One line: a row is as tall as a cell's line height plus its padding and border, and no taller.
        sizes = page.evaluate("""() => {
            const cell = document.querySelector('table.queue tbody td.subject');
            const style = getComputedStyle(cell);
            const line = parseFloat(style.lineHeight) + parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
                + parseFloat(style.borderBottomWidth);
            const rows = [...document.querySelectorAll('table.queue tbody tr[data-href]')];
            return {line, heights: rows.map(r => r.getBoundingClientRect().height),
                    visible: rows.filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length};
        }""")
        assert len(sizes["heights"]) == len(numbers)
        assert all(abs(height - sizes["line"]) <= 1.5 for height in sizes["heights"]), sizes
        assert sizes["visible"] >= 15, sizes
        # Cut, not wrapped: the subject and the address end in an ellipsis, and their titles hold them in full.
        subject = page.locator("table.queue tbody tr[data-href]:not(:has(a[href^='/customers/'])) td.subject").first
        assert subject.evaluate("e => e.scrollWidth > e.clientWidth")
        assert "scanneren sender ikke længere til mappen på serveren – Hej Det virker stadig ikke" in (
            subject.get_attribute("title") or "")
        who = page.locator("table.queue tbody tr[data-href]:not(:has(a[href^='/customers/'])) td:nth-child(4)").first
        assert LONG_ADDRESS in (who.get_attribute("title") or "")
        _screenshot(page, "queue-1400", db_url)
        assert violations == []


def test_j_j_enter_opens_the_third_ticket(app: Flask, browser: Any, numbers: list[int]) -> None:
    with serving(app) as url:
        page, violations = _queue(browser, url)
        third = _row_numbers(page)[2]
        for key in ("j", "j", "j", "k"):  # one too far, and back
            page.keyboard.press(key)
        assert page.locator("tr.kbd-current").count() == 1
        assert page.locator("tr.kbd-current").get_attribute("data-href") == f"/tickets/{_row_numbers(page)[1]}"
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/tickets/{third}")
        assert violations == []


def test_x_ticks_rows_and_the_bulk_form_assigns_them(app: Flask, browser: Any, engine: Engine,
                                                     numbers: list[int]) -> None:
    with serving(app) as url:
        page, violations = _queue(browser, url)
        first, second = _row_numbers(page)[:2]
        for key in ("j", "x", "j", "x"):
            page.keyboard.press(key)
        assert page.locator("input[name=ticket]:checked").count() == 2
        page.select_option("select[name=assignee]", "KB")
        page.click("#bulk-assign")
        page.wait_for_selector(".flash.ok")
        assert page.locator(".flash.ok").inner_text() == "2 sager tildelt KB"
        assert [ticket_row(engine, n).assignee for n in (first, second)] == ["KB", "KB"]
        assert ticket_row(engine, _row_numbers(page)[2]).assignee is None
        assert violations == []


def test_question_mark_shows_the_shortcuts_of_the_page(app: Flask, browser: Any, numbers: list[int],
                                                       db_url: str) -> None:
    with serving(app) as url:
        page, violations = _queue(browser, url)
        assert page.locator("#keys-help").count() == 0
        page.keyboard.press("?")
        help_box = page.locator("#keys-help")
        assert help_box.is_visible()
        text = help_box.inner_text()
        assert "Næste sag i listen" in text and "Åbn den valgte sag" in text and "Søg" in text
        assert help_box.evaluate("e => getComputedStyle(e).position") == "fixed"  # styled by queue.css
        assert "Kun mine sager" in text  # data-shortcut="m" on a link: listed under its text
        _screenshot(page, "queue-keys-help", db_url)
        page.keyboard.press("Escape")
        assert not help_box.is_visible()
        page.keyboard.press("m")  # a link with a shortcut is followed
        page.wait_for_url("**mine=1**")
        assert violations == []


def test_shortcuts_wait_while_staff_type(app: Flask, browser: Any, numbers: list[int]) -> None:
    from playwright.sync_api import expect

    with serving(app) as url:
        page, violations = _queue(browser, url)
        page.keyboard.press("/")  # data-shortcut="/": the search field
        expect(page.locator("input[name=q]")).to_be_focused(timeout=5000)  # waits; no string eval (the CSP forbids it)
        page.keyboard.type("jjx?")
        assert page.input_value("input[name=q]") == "jjx?"
        assert page.locator("tr.kbd-current").count() == 0 and page.locator("#keys-help").count() == 0
        assert page.locator("input[name=ticket]:checked").count() == 0
        page.keyboard.press("Escape")  # leaves the field; the keys work again
        page.keyboard.press("j")
        assert page.locator("tr.kbd-current").get_attribute("data-href") == f"/tickets/{_row_numbers(page)[0]}"
        assert violations == []


def test_bulk_assign_without_javascript(app: Flask, browser: Any, engine: Engine, numbers: list[int]) -> None:
    with serving(app) as url:
        page, _ = _queue(browser, url, javascript=False)
        first, second = _row_numbers(page)[:2]
        page.check(f"input[name=ticket][value='{first}']")
        page.check(f"input[name=ticket][value='{second}']")
        page.select_option("select[name=assignee]", "KB")
        page.click("#bulk-assign")
        page.wait_for_selector(".flash.ok")
        assert page.locator(".flash.ok").inner_text() == "2 sager tildelt KB"
        assert [ticket_row(engine, n).assignee for n in (first, second)] == ["KB", "KB"]
        page.keyboard.press("j")  # no script, no shortcuts: the links do the work
        assert page.locator("tr.kbd-current").count() == 0
        page.click(f"a[href='/tickets/{second}'] >> nth=0")
        page.wait_for_url(f"**/tickets/{second}")
