"""Unknown senders, from the ticket: create the customer, add the sender as a contact or an alias, or take a
suggestion (by domain, or by a device identifier the mail quotes); the next mail from the address is linked."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import Contact, Customer, Device, TicketDevice
from tests.conftest import mail_bytes
from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, csrf_of, text_of, ticket_row
from tests.web.hostile import ONERROR, PAYLOAD, SCRIPT, SVG

Post = Callable[..., Any]
Ingest = Callable[[bytes], dict[str, Any]]


@pytest.fixture
def worker(settings: Settings, engine: Engine) -> Runner:
    """The worker's Runner, as `run` keeps it: the registry snapshot is reloaded at each poll cycle."""
    return Runner(settings, engine)


def next_cycle(worker: Runner, raw: bytes) -> dict[str, Any]:
    """A mail of the worker's next poll cycle: the registry is read from the database again, then the mail."""
    worker.refresh()
    return worker.process(raw, "imap")


def _panel(client: FlaskClient, number: int) -> str:
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    found = re.search(r'<section class="unknown-sender".*?</section>', page, re.S)
    assert found, "the ticket page has no unknown-sender panel"
    return found.group(0)


def _field(panel: str, action: str, name: str) -> str:
    """The prefilled value of a field of the panel's form that posts to `action`."""
    form = re.search(rf'<form[^>]*action="/tickets/\d+/sender/{action}"[^>]*class="stack">(.*?)</form>', panel, re.S)
    assert form
    value = re.search(rf'name="{name}" value="([^"]*)"', form.group(1))
    assert value, f"no field {name} in the {action} form"
    return unescape(value.group(1))


def _customer(engine: Engine, key: str) -> Customer | None:
    with Session(engine) as session:
        return session.scalar(select(Customer).where(Customer.key == key))


def _contact(engine: Engine, email: str) -> Contact | None:
    with Session(engine) as session:
        return session.scalar(select(Contact).where(Contact.email == email))


def test_the_new_customer_form_is_prefilled_from_a_danish_encoded_word_sender(client: FlaskClient,
                                                                             ingest: Ingest) -> None:
    number = ingest(mail_bytes("unknown-sender-danish-encoded-name.eml"))["ticket"]
    panel = _panel(client, number)
    assert "Ukendt afsender: bjoern@nordbyg-toemrer.dk" in text_of(panel)
    assert _field(panel, "customer", "key") == "nordbyg-toemrer"
    assert _field(panel, "customer", "domain") == "nordbyg-toemrer.dk"
    assert _field(panel, "customer", "name") == "Nordbyg-toemrer"
    assert _field(panel, "customer", "contact_name") == "Bjørn Ærlø"  # the From display name, decoded
    assert _field(panel, "contact", "name") == "Bjørn Ærlø"
    assert _field(panel, "contact", "email") == "bjoern@nordbyg-toemrer.dk"
    assert "Ingen forslag" in text_of(panel)


def test_creating_the_customer_links_the_ticket_and_the_next_mail_from_the_address(
        post: Post, worker: Runner, engine: Engine) -> None:
    number = worker.process(mail_bytes("unknown-sender-danish-encoded-name.eml"), "imap")["ticket"]
    assert ticket_row(engine, number).review == ["unknown-sender"]
    response = post(f"/tickets/{number}/sender/customer", key="nordbyg", name="Nordbyg Tømrer ApS",
                    domain="nordbyg-toemrer.dk", language="da", contact="1", contact_name="Bjørn Ærlø")
    assert response.status_code == 302
    customer = _customer(engine, "nordbyg")
    assert customer is not None
    assert (customer.name, customer.domains, customer.agreement, customer.packages, customer.origin) == (
        "Nordbyg Tømrer ApS", ["nordbyg-toemrer.dk"], "none", [], "staff")
    contact = _contact(engine, "bjoern@nordbyg-toemrer.dk")
    assert contact is not None and (contact.name, contact.origin, contact.customer_id) == (
        "Bjørn Ærlø", "staff", customer.id)
    linked = ticket_row(engine, number)
    assert (linked.customer_id, linked.contact_email, linked.review) == (customer.id, contact.email, [])
    assert audit_actions(engine, number) == ["create-customer", "create-contact", "link-customer"]

    # The pipeline reads the registry from the database: the next mails are linked, by address and by domain.
    again = next_cycle(worker, build_mail(sender="bjoern@nordbyg-toemrer.dk", name="Bjørn Ærlø",
                                          subject="Printeren også"))
    assert (again["customer"], again["contact"]) == ("nordbyg", "bjoern@nordbyg-toemrer.dk")
    assert not {"unknown-sender", "unknown-contact"} & set(again["review"])  # billable: no agreement yet
    colleague = worker.process(build_mail(sender="kontor@nordbyg-toemrer.dk", name="Kontoret",
                                          subject="Ny medarbejder"), "imap")
    assert (colleague["customer"], colleague["contact"]) == ("nordbyg", None)
    assert "unknown-contact" in colleague["review"]


def test_a_sender_at_a_customers_sub_domain_is_suggested_and_added_as_a_contact(
        client: FlaskClient, post: Post, worker: Runner, engine: Engine) -> None:
    number = worker.process(build_mail(sender="kasse@butik.salon-haarfin.dk", name="Frida Holm", subject="Kortterminalen",
                                       body="Hej\n\nKortterminalen i butikken er gået i stå.\n\nFrida"),
                            "imap")["ticket"]
    assert "unknown-sender" in ticket_row(engine, number).review  # the pipeline links by exact domain only
    panel = text_of(_panel(client, number))
    assert "Salon Hårfin" in panel and "butik.salon-haarfin.dk er et underdomæne af kundens salon-haarfin.dk" in panel
    post(f"/tickets/{number}/sender/contact", customer="haarfin", email="kasse@butik.salon-haarfin.dk",
         name="Frida Holm", language="da")
    contact = _contact(engine, "kasse@butik.salon-haarfin.dk")
    assert contact is not None and contact.origin == "staff"
    assert ticket_row(engine, number).contact_email == "kasse@butik.salon-haarfin.dk"
    assert audit_actions(engine, number) == ["create-contact", "link-customer"]
    again = next_cycle(worker, build_mail(sender="kasse@butik.salon-haarfin.dk", name="Frida Holm", subject="Igen"))
    assert (again["customer"], again["contact"]) == ("haarfin", "kasse@butik.salon-haarfin.dk")


def test_a_new_address_at_a_customers_domain_is_suggested_as_its_contact(client: FlaskClient, ingest: Ingest,
                                                                       engine: Engine) -> None:
    number = ingest(build_mail(sender="ny.bager@bageriet-soerensen.dk", name="Ny Bager"))["ticket"]
    assert ticket_row(engine, number).review == ["unknown-contact"]
    panel = _panel(client, number)
    assert "Domænet bageriet-soerensen.dk er kundens" in text_of(panel)
    assert "Opret Ny Bager som kontakt hos Bageriet Sørensen ApS" in text_of(panel)
    assert re.search(r'<option value="bageriet" selected>', panel)  # the ticket's customer, chosen already


def test_the_address_becomes_an_alias_of_an_existing_contact(post: Post, worker: Runner, engine: Engine) -> None:
    number = worker.process(build_mail(sender="lone.mobil@outlook.dk", name="Lone"), "imap")["ticket"]
    post(f"/tickets/{number}/sender/alias", contact="lone@bageriet-soerensen.dk")
    lone = _contact(engine, "lone@bageriet-soerensen.dk")
    assert lone is not None
    assert "lone.mobil@outlook.dk" in lone.aliases and lone.staff_aliases == ["lone.mobil@outlook.dk"]
    assert ticket_row(engine, number).contact_email == "lone@bageriet-soerensen.dk"
    assert audit_actions(engine, number) == ["link-customer"]
    again = next_cycle(worker, build_mail(sender="lone.mobil@outlook.dk", name="Lone", subject="Og en ting til"))
    assert (again["customer"], again["contact"]) == ("bageriet", "lone@bageriet-soerensen.dk")


def test_a_vendor_mail_quoting_a_printer_serial_suggests_that_printer_and_links_it(
        client: FlaskClient, post: Post, ingest: Ingest, engine: Engine) -> None:
    number = ingest(mail_bytes("vendor-service-printer-serial.eml"))["ticket"]
    assert ticket_row(engine, number).customer_id is None
    panel = unescape(text_of(_panel(client, number)))
    assert "Bageriet Sørensen ApS : BAG-PRN-01 (Printeren på kontoret)" in panel
    assert "Mailen nævner serienummer 'vnb3r41207' for BAG-PRN-01" in panel
    assert "Kobl til Bageriet Sørensen ApS og BAG-PRN-01" in panel
    post(f"/tickets/{number}/sender/suggestion", customer="bageriet", device="BAG-PRN-01")
    linked = ticket_row(engine, number)
    with Session(engine) as session:
        bageriet = session.scalar(select(Customer.id).where(Customer.key == "bageriet"))
        devices = list(session.scalars(select(Device.tag).join(TicketDevice, TicketDevice.device_id == Device.id)
                                       .where(TicketDevice.ticket_id == number)))
    assert (linked.customer_id, linked.contact_email, devices) == (bageriet, None, ["BAG-PRN-01"])
    assert audit_actions(engine, number) == ["link-customer", "link-device"]


def test_hostile_display_names_and_addresses_are_inert_in_the_panel(client: FlaskClient, ingest: Ingest,
                                                                    engine: Engine) -> None:
    raw = build_mail(sender="x@evil.example", name=f'"><{PAYLOAD[1:]}', subject=f"Faktura {SCRIPT}",
                     body=f"Se her {PAYLOAD}")
    number = ingest(raw)["ticket"]
    weird = build_mail(sender='"><svg/onload=alert(1)>@evil.example', name=SVG)
    other = ingest(weird).get("ticket")
    for ticket in (number, other):
        if ticket is None:
            continue
        page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
        for tag in (SCRIPT, ONERROR, SVG, "<svg/onload", "<script>"):
            assert tag not in page
    panel = _panel(client, number)
    assert "&lt;script&gt;" in panel or "&lt;img" in panel  # shown as text, not as markup


def test_the_sender_actions_need_the_csrf_token(client: FlaskClient, ingest: Ingest, engine: Engine) -> None:
    number = ingest(mail_bytes("unknown-sender-danish-encoded-name.eml"))["ticket"]
    version = str(ticket_row(engine, number).version)
    for action, form in (("customer", {"key": "nordbyg", "name": "Nordbyg", "domain": "", "language": "da"}),
                         ("contact", {"customer": "bageriet", "email": "bjoern@nordbyg-toemrer.dk", "name": "B"}),
                         ("alias", {"contact": "lone@bageriet-soerensen.dk"}),
                         ("suggestion", {"customer": "bageriet"})):
        response = client.post(f"/tickets/{number}/sender/{action}", data={**form, "version": version,
                                                                            "csrf_token": "forfalsket"})
        assert response.status_code == 400
    assert _customer(engine, "nordbyg") is None and _contact(engine, "bjoern@nordbyg-toemrer.dk") is None
    assert ticket_row(engine, number).customer_id is None and audit_actions(engine, number) == []


def test_an_action_from_a_stale_page_is_refused_and_creates_nothing(client: FlaskClient, post: Post,
                                                                    ingest: Ingest, engine: Engine) -> None:
    number = ingest(mail_bytes("unknown-sender-danish-encoded-name.eml"))["ticket"]
    stale = str(ticket_row(engine, number).version)
    post(f"/tickets/{number}/note", text="Ringer tilbage i eftermiddag")  # a colleague acted meanwhile
    response = client.post(f"/tickets/{number}/sender/customer", data={
        "key": "nordbyg", "name": "Nordbyg", "domain": "nordbyg-toemrer.dk", "language": "da", "contact": "1",
        "contact_name": "Bjørn", "version": stale, "csrf_token": csrf_of(client)})
    assert response.status_code == 409
    assert _customer(engine, "nordbyg") is None and _contact(engine, "bjoern@nordbyg-toemrer.dk") is None
    assert audit_actions(engine, number) == ["note"]


def test_an_address_that_is_already_someones_is_refused(client: FlaskClient, post: Post, ingest: Ingest,
                                                        engine: Engine) -> None:
    number = ingest(mail_bytes("unknown-sender-danish-encoded-name.eml"))["ticket"]
    post(f"/tickets/{number}/sender/contact", customer="bageriet", email="lone.soerensen@gmail.com", name="Lone")
    assert "lone.soerensen@gmail.com tilhører allerede kontakten Lone Sørensen" in text_of(
        client.get(f"/tickets/{number}").get_data(as_text=True))
    post(f"/tickets/{number}/sender/customer", key="bageriet", name="Bageriet", domain="", language="da")
    post(f"/tickets/{number}/sender/customer", key="nyt", name="Nyt", domain="bageriet-soerensen.dk", language="da")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.origin == "staff")) == 0
        assert session.scalar(select(func.count()).select_from(Contact).where(Contact.origin == "staff")) == 0
    assert ticket_row(engine, number).customer_id is None and audit_actions(engine, number) == []


def test_a_known_sender_gets_no_panel(client: FlaskClient, ticket: int) -> None:
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert 'class="unknown-sender"' not in page and 'action="/tickets/1/link-customer"' in page
