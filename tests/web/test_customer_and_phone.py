"""The customer page, and tickets opened by hand for a phone call through the same rules as mail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import AuditEntry, OutboxMessage, Ticket, TicketDevice, TicketEntry
from tests.mailbuilder import build_mail

Post = Callable[..., Any]


def test_the_customer_page_shows_agreement_packages_contacts_devices_and_open_tickets(
        client: FlaskClient, post: Post, ingest: Callable[[bytes], Any]) -> None:
    open_ticket = ingest(build_mail(subject="Kasseapparatet"))["ticket"]
    closed = ingest(build_mail(subject="Løst sag"))["ticket"]
    post(f"/tickets/{closed}/set", field="status", value="closed")
    page = client.get("/customers/bageriet").get_data(as_text=True)
    assert "Bageriet Sørensen ApS" in page and "Aktiv" in page and "MCOSAABAS, MCOSADNET" in page
    assert "Lone Sørensen" in page and "lone.soerensen@gmail.com" in page  # a contact and her alias
    assert "BAG-PC-01" in page and "HP EliteBook 840 G8" in page
    assert f'href="/tickets/{open_ticket}"' in page and f'href="/tickets/{closed}"' not in page
    assert "JH" in page  # the personal contact at MICO


def test_an_agreement_past_its_end_date_shows_as_none(client: FlaskClient) -> None:
    page = client.get("/customers/boegh").get_data(as_text=True)  # terminated, ended 31 March 2026
    assert "Ingen aftale (registreret: Opsagt)" in page and "31.03.2026" in page


def test_an_unknown_customer_is_404(client: FlaskClient) -> None:
    assert client.get("/customers/findes-ikke").status_code == 404


def test_a_phone_ticket_goes_through_the_rules_with_the_staff_choices(client: FlaskClient, post: Post,
                                                                       engine: Engine) -> None:
    form = client.get("/phone?customer=bageriet").get_data(as_text=True)
    assert "BAG-PRN-01" in form and "lone@bageriet-soerensen.dk" in form
    response = post("/phone", customer="bageriet", contact="lone@bageriet-soerensen.dk", device="BAG-PRN-01",
                    category="printer", subject="Lone ringede", description="Det driller igen i butikken.")
    number = int(response.headers["Location"].rsplit("/", 1)[1])
    with Session(engine) as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None
        assert (ticket.category, ticket.contact_email, ticket.assignee) == ("printer", "lone@bageriet-soerensen.dk",
                                                                            "JH")
        assert ticket.coverage["rule"]  # decided by the coverage rules, with the device
        entry = session.scalar(select(TicketEntry).where(TicketEntry.ticket_id == number))
        assert entry is not None and (entry.kind, entry.author) == ("phone", "JH")
        assert session.scalar(select(func.count()).select_from(TicketDevice)
                              .where(TicketDevice.ticket_id == number)) == 1
        audit = session.scalar(select(AuditEntry).where(AuditEntry.ticket_id == number))
        assert audit is not None and audit.action == "phone-ticket"
        rules = [step["rule"] for step in audit.details["trace"]]
        assert "contact-address" in rules and "staff-device" in rules and "staff-category" in rules
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # no acknowledgement
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "Telefonopkald" in page and "<code>staff-device</code>" in page


def test_a_phone_ticket_with_another_customers_device_is_refused(client: FlaskClient, post: Post,
                                                                 engine: Engine) -> None:
    response = post("/phone", customer="bageriet", contact="lone@bageriet-soerensen.dk", device="TAN-PC-01",
                    subject="x", description="y")
    assert response.status_code == 200 and "Enheden hører ikke til kunden" in response.get_data(as_text=True)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
