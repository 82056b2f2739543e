"""Staff see the response-time promises: the queue's "Frist" column, its sort and filter, and the ticket page's
clock block with its history. Emergency targets run around the clock, so the real `now` of the page gives
the same figures at any hour of the week."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.store.models import Ticket
from tests.clockseed import EMERGENCY, clock_ticket


def new_ticket(engine: Engine, subject: str, status: str = "open") -> int:
    """A ticket as the database holds one from before the clocks (the pipeline may start them; this does not)."""
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        ticket = Ticket(subject=subject, status=status, created_at=now, updated_at=now)
        session.add(ticket)
        session.flush()
        return ticket.id


def _numbers(page: str) -> list[int]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [int(n) for n in re.findall(r'<td><a href="/tickets/(\d+)">#', body)]


def _cell(page: str, number: int) -> str:
    row = page.split(f'<a href="/tickets/{number}">#{number}</a>')[1].split("</tr>")[0]
    match = re.search(r'<td class="due [^"]*"[^>]*>.*?</td>', row, re.S)
    assert match, row
    return match.group(0)


def test_the_queue_shows_time_left_late_and_soon_in_words_and_colour(client: FlaskClient, engine: Engine) -> None:
    now = datetime.now(UTC)
    late, soon, old = (new_ticket(engine, subject) for subject in ("Serveren er nede", "Mailen er nede", "Gammel sag"))
    clock_ticket(engine, late, EMERGENCY, now - timedelta(hours=3))  # first response was due 2 t 30 min ago
    clock_ticket(engine, soon, EMERGENCY, now)  # due in 30 minutes
    page = client.get("/").get_data(as_text=True)
    assert "<th>Frist</th>" in page
    late_cell = _cell(page, late)
    assert 'class="due due-late"' in late_cell and "⚠" in late_cell and "2 t 30 min for sent" in late_cell
    assert 'title="Første svar senest ' in late_cell and "<small>svar</small>" in late_cell
    soon_cell = _cell(page, soon)
    assert 'class="due due-soon"' in soon_cell and "◔" in soon_cell and re.search(r"om (29|30) min", soon_cell)
    assert 'class="due due-none"' in _cell(page, old) and "–" in _cell(page, old)


def test_nearest_due_and_overskredet_from_the_queue(client: FlaskClient, engine: Engine) -> None:
    now = datetime.now(UTC)
    old, later, late = (new_ticket(engine, subject) for subject in ("Gammel sag", "Senere", "For sent"))
    clock_ticket(engine, later, EMERGENCY, now)
    clock_ticket(engine, late, EMERGENCY, now - timedelta(hours=1))
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/?status=open&amp;sort=due" id="sort-due">nærmeste frist</a>' in page
    assert '<a href="/?status=open&amp;overdue=1" class="" id="filter-overdue">⚠ Overskredet</a> <span class="count">1</span>' in page
    assert _numbers(client.get("/?sort=due").get_data(as_text=True)) == [late, later, old]
    assert _numbers(client.get("/?overdue=1").get_data(as_text=True)) == [late]
    # The search form and the other filters keep the sort and the filter.
    page = client.get("/?overdue=1&sort=due").get_data(as_text=True)
    assert '<input type="hidden" name="overdue" value="1">' in page
    assert '<input type="hidden" name="sort" value="due">' in page
    assert 'href="/?overdue=1&amp;sort=due&amp;status="' in page  # status "Alle"
    assert _numbers(client.get("/?sort=nonsense&overdue=ja").get_data(as_text=True)) == [old, later, late]


def test_the_ticket_page_shows_both_clocks_and_their_history(client: FlaskClient, engine: Engine) -> None:
    now = datetime.now(UTC)
    number = new_ticket(engine, "Serveren er nede")
    clock_ticket(engine, number, EMERGENCY, now - timedelta(hours=2), answered=now - timedelta(hours=1, minutes=50))
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    block = page.split('<section class="clocks" id="frister">')[1].split("</section>")[0]
    assert "<h2>Svarfrister</h2>" in block
    first = block.split('<tr id="clock-1">')[1].split("</tr>")[0]
    assert "Første svar" in first and "30 min døgnet rundt" in first and "Mødt" in first and "svaret " in first
    resolution = block.split('<tr id="clock-2">')[1].split("</tr>")[0]
    assert "Løsning" in resolution and "4 t døgnet rundt" in resolution and "Åben" in resolution
    assert "om 1 t 59 min" in resolution or "om 2 t" in resolution
    assert "Regel <code>response-emergency</code>: Akut, kritisk fejl: fristerne løber døgnet rundt" in block
    assert "Historik (2)" in block
    assert "automatisk · Frister sat efter reglen response-emergency: Akut, kritisk fejl" in block
    assert "JH · Første svar (svar fra JH) inden for fristen. Første svar senest " in block


def test_a_ticket_from_before_the_clocks_shows_a_dash(client: FlaskClient, engine: Engine) -> None:
    number = new_ticket(engine, "Gammel sag")
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "– Ingen frister: sagen er fra før svarfristerne." in page
