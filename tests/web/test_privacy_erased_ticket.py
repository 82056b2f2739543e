"""An erased person's ticket still opens in the web UI: the pseudonym and the marker, none of the person."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import Engine

from inbox_worker.config import Settings
from inbox_worker.features.privacy.erase import erase_person
from inbox_worker.mail.runner import Runner
from tests.mailbuilder import build_mail


def test_the_ticket_and_customer_pages_of_an_erased_person(settings: Settings, engine: Engine,
                                                           client: FlaskClient) -> None:
    runner = Runner(settings, engine)
    runner.process(build_mail(subject="Printeren i forretningen", body="Hej\n\nDen skriver ikke ud.\n\nLone Sørensen",
                              attachment=("foto.jpg", b"\xff\xd8 not much of a photo")), "test")
    erase_person(settings, engine, "lone@bageriet-soerensen.dk", "Anmodning", "JH", datetime.now(UTC))

    ticket = client.get("/tickets/1")
    customer = client.get("/customers/bageriet")

    assert ticket.status_code == 200 and customer.status_code == 200
    page = ticket.get_data(as_text=True)
    assert "Slettet person #1" in page and "[Slettet efter anmodning]" in page
    for trace in ("lone@bageriet-soerensen.dk", "Lone Sørensen", "Printeren i forretningen", "foto.jpg"):
        assert trace not in page and trace not in customer.get_data(as_text=True)
