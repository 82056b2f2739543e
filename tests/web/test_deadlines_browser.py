"""In headless Chromium: the overdue ticket is marked (colour, symbol and words), sorts first under "nærmeste
frist", is the only one under "Overskredet", and its page shows the late clock. No CSP violation on the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from tests.clockseed import EMERGENCY, NORMAL, clock_ticket
from tests.web.conftest import PASSWORD
from tests.web.live import log_in, serving
from tests.web.test_browser import _screenshot
from tests.web.test_deadlines_page import new_ticket


def _numbers(page: Any) -> list[int]:
    links = page.locator("table.queue tbody tr td:first-child a")
    return [int(text.lstrip("#")) for text in links.all_inner_texts()]


def test_the_overdue_ticket_is_marked_and_sorts_first_in_chromium(app: Flask, engine: Engine, staff: dict[str, str],
                                                                  db_url: str, browser: Any) -> None:
    now = datetime.now(UTC)
    old = new_ticket(engine, "Gammel sag fra før fristerne")
    on_time = new_ticket(engine, "Printeren på 1. sal driller")
    clock_ticket(engine, on_time, NORMAL, now)
    late = new_ticket(engine, "Serveren er nede – løn skal køres")  # the newest: last in the default order
    clock_ticket(engine, late, EMERGENCY, now - timedelta(hours=3))
    with serving(app) as url:
        page = browser.new_page()
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        log_in(page, url, "jh@mico.dk", PASSWORD)
        page.wait_for_selector("table.queue")
        assert _numbers(page) == [old, on_time, late]

        cell = page.locator(f"tr:has(a[href='/tickets/{late}']) td.due")
        assert "due-late" in (cell.get_attribute("class") or "")
        assert cell.inner_text().startswith("⚠ 2 t 30 min for sent")
        assert (cell.get_attribute("title") or "").startswith("Første svar senest ")
        # The stylesheet (served under the strict CSP) colours it; the words and the symbol say it without colour.
        assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 232, 232)"
        on_time_cell = page.locator(f"tr:has(a[href='/tickets/{on_time}']) td.due")
        assert on_time_cell.inner_text().startswith("om ") and "due-ok" in (on_time_cell.get_attribute("class") or "")

        page.click("#sort-due")
        page.wait_for_url("**sort=due**")
        assert _numbers(page) == [late, on_time, old]
        assert page.locator("nav.sort strong").inner_text() == "nærmeste frist"
        _screenshot(page, "queue-deadlines", db_url)

        page.click("#filter-overdue")
        page.wait_for_url("**overdue=1**")
        assert _numbers(page) == [late]
        assert page.locator("#filter-overdue").get_attribute("class") == "on"

        page.click(f"a[href='/tickets/{late}'] >> nth=0")
        page.wait_for_selector("#frister")
        first = page.locator("#clock-1").inner_text()
        assert "Første svar" in first and "Overskredet" in first and "2 t 30 min for sent" in first
        assert "Regel response-emergency" in page.locator("#frister").inner_text()
        page.click("#frister summary")
        _screenshot(page, "ticket-deadlines", db_url)
        assert violations == []
