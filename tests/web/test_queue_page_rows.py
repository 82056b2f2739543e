"""A queue row for a day's work: the last entry's first words beside the subject, the contact's name, since when
a ticket waits for the customer; and whatever a mail or the registry puts there stays inert text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from inbox_worker.store.models import Contact
from inbox_worker.web.queue_page import short_moment, waiting_text
from tests.mailbuilder import build_mail

Ingest = Callable[[bytes], dict[str, Any]]
Post = Callable[..., Any]


def _row(page: str, number: int) -> str:
    match = re.search(rf'<tr data-href="/tickets/{number}".*?</tr>', page, re.S)
    assert match, f"no row for #{number}"
    return match.group(0)


def test_a_row_shows_the_first_words_of_the_last_entry_and_the_contacts_name(client: FlaskClient, post: Post,
                                                                           ingest: Ingest) -> None:
    number = ingest(build_mail(body="Hej MICO\n\nPrinteren på kontoret\nvirker ikke.\n\nMvh Lone"))["ticket"]
    row = _row(client.get("/").get_data(as_text=True), number)
    # The acknowledgement MICO sent (an empty thread stub) is not the last entry staff want to read.
    assert '<span class="muted">Hej MICO Printeren på kontoret virker ikke. Mvh Lone</span>' in row
    assert 'title="Printeren virker ikke – Hej MICO Printeren på kontoret virker ikke. Mvh Lone"' in row
    assert ">Bageriet Sørensen ApS</a> <span class=\"muted\">Lone Sørensen</span>" in row
    assert "lone@bageriet-soerensen.dk" in row  # the address in full in the cell's title, never cut mid-word
    assert f'data-href="/tickets/{number}"' in row and f'name="version-{number}"' in row

    post(f"/tickets/{number}/note", text="Ringede til Lone, printeren\n genstartet")
    assert '<span class="muted">Notat: Ringede til Lone, printeren genstartet</span>' in _row(
        client.get("/").get_data(as_text=True), number)


def test_a_waiting_ticket_shows_since_when_it_waits_an_unknown_sender_its_address(client: FlaskClient, post: Post,
                                                                                 ingest: Ingest) -> None:
    waiting = ingest(build_mail())["ticket"]
    stranger = ingest(build_mail(sender="fremmed@gmail.com", name="Fremmed"))["ticket"]
    post(f"/tickets/{waiting}/set", field="status", value="waiting")
    page = client.get("/?status=").get_data(as_text=True)
    assert re.search(r'<td class="waiting" title="Venter på kunden siden [0-9.: ]+">venter 0 t</td>',
                     _row(page, waiting))
    stranger_row = _row(page, stranger)
    assert '<span class="muted">fremmed@gmail.com</span>' in stranger_row and "Ingen kunde" in stranger_row
    assert re.search(r'<td title="Seneste aktivitet [0-9.: ]+">\d\d:\d\d</td>', stranger_row)


def test_hostile_subjects_bodies_and_names_are_inert_in_the_new_columns(client: FlaskClient, ingest: Ingest,
                                                                        engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Contact).where(Contact.email == "lone@bageriet-soerensen.dk")
                        .values(name='Lone"><script>alert(2)</script>'))
    number = ingest(build_mail(subject='" onmouseover="alert(1)', body="<img src=x onerror=alert(3)> hej"))["ticket"]
    row = _row(client.get("/").get_data(as_text=True), number)
    assert "<script" not in row and "<img" not in row and 'onmouseover="' not in row
    assert "&lt;img src=x onerror=alert(3)&gt; hej" in row
    assert "Lone&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in row
    assert 'title="&#34; onmouseover=&#34;alert(1) – ' in row


def test_moments_in_a_row_are_short_and_danish() -> None:
    zone = ZoneInfo("Europe/Copenhagen")
    now = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)  # Friday 14:00 in Copenhagen
    assert short_moment(datetime(2026, 12, 4, 8, 5, tzinfo=UTC), now, zone) == "09:05"
    assert short_moment(datetime(2026, 12, 3, 23, 30, tzinfo=UTC), now, zone) == "00:30"  # today in Copenhagen
    assert short_moment(datetime(2026, 12, 3, 8, 5, tzinfo=UTC), now, zone) == "i går 09:05"
    assert short_moment(datetime(2026, 11, 30, 8, 5, tzinfo=UTC), now, zone) == "man. 09:05"
    assert short_moment(datetime(2026, 11, 3, 8, 5, tzinfo=UTC), now, zone) == "3.11."
    assert short_moment(datetime(2025, 11, 3, 8, 5, tzinfo=UTC), now, zone) == "3.11.2025"
    assert short_moment(None, now, zone) == "–"
    assert waiting_text(now - timedelta(hours=5, minutes=59), now) == "venter 5 t"
    assert waiting_text(now - timedelta(days=3, hours=2), now) == "venter 3 d"
