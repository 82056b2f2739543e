"""The response-time page `/sla` ("Svartider"): staff only, the month's figures as `sla report` counts them, in Chromium too.

The page's clock is set to Tuesday 1 December 2026 10:00 (the moment tests/integration/test_sla_report.py counts at).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from inbox_worker.web import sla_page
from tests.clocks import local, seed_november
from tests.conftest import ROOT
from tests.web.conftest import PASSWORD, text_of
from tests.web.live import log_in, serving

AS_OF = local(2026, 12, 1, 10)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sla_page, "now", lambda: AS_OF)


@pytest.fixture
def november(engine: Engine) -> dict[str, int]:
    return seed_november(engine)


def test_the_page_needs_a_login(app: Flask) -> None:
    with app.test_client() as anonymous:
        response = anonymous.get("/sla?month=2026-11")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_month_per_customer_and_priority(client: FlaskClient, november: dict[str, int]) -> None:
    response = client.get("/sla?month=2026-11")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Svartider november 2026" in text
    assert "Bageriet Sørensen ApS Normal 3 50,0 % (1 af 2) 1 3 t 5 t 50,0 % (1 af 2) 1 10 t 10 t" in text
    assert "Tandlægerne ved Åen I/S Normal 2 100,0 % (2 af 2) 0 30 min 1 t 100,0 % (2 af 2) 0 1 t 9 t" in text
    assert "I alt 7 83,3 % (5 af 6) 1 1 t 5 t 66,7 % (4 af 6) 1 3 t 10 t" in text
    assert "opgjort 01.12.2026 10:00" in text


def test_one_customer_and_the_default_month(client: FlaskClient, november: dict[str, int]) -> None:
    text = text_of(client.get("/sla?month=2026-11&customer=tandlaegerne").get_data(as_text=True))
    assert "Tandlægerne ved Åen I/S Normal 2" in text and "Bageriet Sørensen ApS Normal" not in text
    assert "I alt 2 100,0 % (2 af 2)" in text
    this_month = text_of(client.get("/sla").get_data(as_text=True))
    assert "Svartider december 2026" in this_month and "I alt 1" in this_month  # #december, 1 December 00:15


def test_a_bad_month_or_customer_is_said_in_danish_and_escaped(client: FlaskClient) -> None:
    bad_month = client.get("/sla?month=november")
    assert bad_month.status_code == 400 and "Ukendt måned: skriv den som 2026-11." in bad_month.get_data(as_text=True)
    bad_customer = client.get("/sla?month=2026-11&customer=<script>x</script>")
    page = bad_customer.get_data(as_text=True)
    assert bad_customer.status_code == 400 and "<script>x" not in page and "&lt;script&gt;x" in page


def test_the_navigation_links_to_it(client: FlaskClient) -> None:
    assert '<a href="/sla">Svartider</a>' in client.get("/").get_data(as_text=True)


def test_staff_choose_a_month_and_customer_in_chromium(
        browser: Any, app: Flask, staff: dict[str, str], november: dict[str, int], db_url: str) -> None:
    with serving(app) as base:
        page = browser.new_page()
        log_in(page, base, staff["email"], PASSWORD)
        page.click("text=Svartider")
        page.fill("input[name=month]", "2026-11")
        page.select_option("select[name=customer]", "bageriet")
        page.click("#sla-filter button[type=submit]")
        page.wait_for_url("**/sla?month=2026-11&customer=bageriet")
        rows = page.locator("table.sla tbody tr")
        assert rows.count() == 2
        assert rows.nth(0).locator("td").all_inner_texts() == [
            "Bageriet Sørensen ApS", "Akut", "1", "100,0 % (1 af 1)", "0", "20 min", "20 min",
            "100,0 % (1 af 1)", "0", "3 t", "3 t"]
        assert page.locator("table.sla tfoot td").nth(1).inner_text() == "4"
        shots = ROOT / "var" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"sla{'' if db_url.startswith('sqlite') else '-postgres'}.png"),
                        full_page=True)
