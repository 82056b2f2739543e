"""The queue's search box: "#123" or "123" jumps to that ticket; a number that is no ticket, and any hostile
query, is searched for as text and answered with the queue (never an error)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.mailbuilder import build_mail

Ingest = Callable[[bytes], dict[str, Any]]


def _numbers(page: str) -> list[int]:
    """The tickets the queue's table lists, in order (each row links its ticket, perhaps more than once)."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return list(dict.fromkeys(int(n) for n in re.findall(r'href="/tickets/(\d+)"', body)))


def test_a_ticket_number_jumps_to_the_ticket(client: FlaskClient, ingest: Ingest) -> None:
    ticket = ingest(build_mail())["ticket"]
    for query in (f"%23{ticket}", f"{ticket}", f"+%23{ticket}+"):
        response = client.get(f"/?q={query}")
        assert response.status_code == 302, query
        assert response.headers["Location"].endswith(f"/tickets/{ticket}")


def test_a_number_that_is_no_ticket_is_searched_as_text(client: FlaskClient, ingest: Ingest) -> None:
    ticket = ingest(build_mail(subject="Telefonen", body="Hej\n\nRing på 40414243 når I kan."))["ticket"]
    response = client.get("/?q=40414243&status=")
    assert response.status_code == 200
    assert _numbers(response.get_data(as_text=True)) == [ticket]
    assert _numbers(client.get("/?q=%2399999&status=").get_data(as_text=True)) == []


def test_hostile_queries_answer_with_an_empty_queue(client: FlaskClient, ingest: Ingest) -> None:
    ingest(build_mail())
    for query in ('"', "NEAR(a b)", "%22*%3A%5E", "AND", "(", "og i", "%F0%9F%98%80", "x" * 5000):
        response = client.get("/", query_string={"q": query, "status": ""})
        assert response.status_code == 200, query
        assert _numbers(response.get_data(as_text=True)) == [], query


def test_a_search_past_the_count_limit_says_so_instead_of_a_number(client: FlaskClient, ingest: Ingest,
                                                                   monkeypatch: Any) -> None:
    from inbox_worker.features.queue import triage

    for n in range(4):
        ingest(build_mail(subject=f"Printer {n}", body="Hej\n\nPrinteren virker ikke."))
    monkeypatch.setattr(triage, "SEARCH_COUNT_LIMIT", 2)
    page = client.get("/?q=printeren&status=").get_data(as_text=True)
    assert "over 2 – søg mere præcist for at se antal" in page
    assert len(_numbers(page)) == 4  # the page (50 rows) holds every match, best first
    assert 'class="count"' not in page  # no numbers the search did not count
    monkeypatch.setattr(triage, "SEARCH_COUNT_LIMIT", 4)
    page = client.get("/?q=printeren&status=").get_data(as_text=True)
    assert "4 i alt" in page and "søg mere præcist" not in page
