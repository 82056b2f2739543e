"""'Udlevér persondata' on the customer page: the customer's or one contact's export as a zip download, staff only,
CSRF-checked, and recorded in the access log and the audit log with the staff member's initials."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import PACKAGED_TEMPLATES, Settings
from inbox_worker.features.privacy.export import export_to_path
from inbox_worker.store.models import AccessEntry, AuditEntry, Contact, Customer
from inbox_worker.web import create_app
from tests.mailbuilder import build_mail
from tests.web.conftest import csrf_of, login

Post = Callable[..., Any]
LONE, ALIAS = "lone@bageriet-soerensen.dk", "lone.soerensen@gmail.com"


@pytest.fixture
def export_of(settings: Settings, engine: Engine, tmp_path: Path) -> Callable[[str], dict[str, bytes]]:
    """The command line's export of an address (features/privacy, as `privacy export EMAIL` runs it)."""
    def export(address: str) -> dict[str, bytes]:
        out = tmp_path / "cli.zip"
        export_to_path(settings, engine, address, None, str(out), "JH", datetime.now(UTC))
        with zipfile.ZipFile(out) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    return export


def _contact_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        found = session.scalar(select(Contact.id).where(Contact.email == email))
        assert found is not None
        return int(found)


def _logs(engine: Engine) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    with Session(engine) as session:
        access = [(a.actor, a.action, a.what) for a in session.scalars(select(AccessEntry).order_by(AccessEntry.id))]
        audit = [(a.actor, a.action, str(a.details.get("via"))) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "privacy-export").order_by(AuditEntry.id))]
    return access, audit


def _zip(response: Any) -> dict[str, bytes]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip" and "no-store" in response.headers["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_customer_page_offers_the_exports_as_post_forms_with_a_csrf_token(
        client: FlaskClient, engine: Engine) -> None:
    page = client.get("/customers/bageriet").get_data(as_text=True)
    lone = _contact_id(engine, LONE)
    assert "Udlevér persondata" in page
    assert 'method="post" action="/customers/bageriet/privacy-export"' in page
    assert f'method="post" action="/customers/bageriet/contacts/{lone}/privacy-export"' in page
    assert page.count('name="csrf_token"') >= 2


def test_staff_download_the_customers_and_a_contacts_export_and_both_are_recorded(
        client: FlaskClient, post: Post, engine: Engine, ingest: Callable[[bytes], Any]) -> None:
    main = build_mail(subject="Printeren <b>igen</b>", attachment=("log.txt", b"fejl 42\n"))
    alias = build_mail(sender=ALIAS, subject="Fra min iPad")
    colleague = build_mail(sender="soeren@bageriet-soerensen.dk", name="Søren", subject="Kassen")
    other = build_mail(sender="mette@tandlaegerne-aaen.dk", name="Mette", subject="Røntgen")
    for raw in (main, alias, colleague, other):
        assert ingest(raw)["outcome"] == "new_ticket"

    response = post("/customers/bageriet/privacy-export")
    customer = _zip(response)
    assert 'filename=privacy-bageriet.zip' in response.headers["Content-Disposition"]
    assert sorted(hashlib.sha256(d).hexdigest() for n, d in customer.items() if n.startswith("mails/")) == \
        sorted(hashlib.sha256(raw).hexdigest() for raw in (main, alias, colleague))
    assert json.loads(customer["customer.json"])["customer"]["key"] == "bageriet"
    assert b"mette@tandlaegerne-aaen.dk" not in b"".join(customer.values())

    lone = _contact_id(engine, LONE)
    response = post(f"/customers/bageriet/contacts/{lone}/privacy-export")
    person = _zip(response)
    assert "filename=privacy-lone-bageriet-soerensen-dk.zip" in response.headers["Content-Disposition"]
    assert sorted(hashlib.sha256(d).hexdigest() for n, d in person.items() if n.startswith("mails/")) == \
        sorted(hashlib.sha256(raw).hexdigest() for raw in (main, alias))
    assert [d for n, d in person.items() if n.startswith("attachments/")] == [b"fejl 42\n"]
    assert json.loads(person["person.json"])["contact"]["email"] == LONE
    assert b"soeren@bageriet-soerensen.dk" not in b"".join(person.values())
    assert "&lt;b&gt;igen&lt;/b&gt;" in person["index.html"].decode()

    access, audit = _logs(engine)
    assert access == [("JH", "export", "customer bageriet"), ("JH", "export", f"person #{lone}")]
    assert audit == [("JH", "privacy-export", "web"), ("JH", "privacy-export", "web")]


def test_an_export_without_the_csrf_token_is_refused_and_records_nothing(client: FlaskClient, engine: Engine) -> None:
    lone = _contact_id(engine, LONE)
    for path in ("/customers/bageriet/privacy-export", f"/customers/bageriet/contacts/{lone}/privacy-export"):
        response = client.post(path)
        assert response.status_code == 400 and response.mimetype == "text/html"
        assert client.post(path, data={"csrf_token": "forkert"}).status_code == 400
    assert _logs(engine) == ([], [])


def test_without_a_login_there_is_no_export(app: Flask, staff: dict[str, str], engine: Engine) -> None:
    with app.test_client() as anonymous:
        with anonymous.session_transaction() as session:
            session["csrf"] = "t" * 43
        response = anonymous.post("/customers/bageriet/privacy-export", data={"csrf_token": "t" * 43})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _logs(engine) == ([], [])


def test_another_customers_contact_or_an_unknown_customer_is_404(client: FlaskClient, post: Post,
                                                                 engine: Engine) -> None:
    mette = _contact_id(engine, "mette@tandlaegerne-aaen.dk")
    assert post(f"/customers/bageriet/contacts/{mette}/privacy-export").status_code == 404
    assert post("/customers/bageriet/contacts/999999/privacy-export").status_code == 404
    assert post("/customers/findes-ikke/privacy-export").status_code == 404
    with Session(engine) as session:
        assert session.scalar(select(Customer.id).where(Customer.key == "bageriet")) is not None
    assert _logs(engine) == ([], [])


def test_a_templates_folder_without_the_index_template_is_told_on_the_customer_page(
        settings: Settings, engine: Engine, staff: dict[str, str], tmp_path: Path) -> None:
    copy = tmp_path / "templates"  # an edited copy made before issue 16: no privacy/ folder
    shutil.copytree(PACKAGED_TEMPLATES, copy, ignore=shutil.ignore_patterns("privacy"))
    app = create_app(dataclasses.replace(settings, paths=dataclasses.replace(settings.paths, templates=str(copy))),
                     engine)
    with app.test_client() as client:
        assert login(client).status_code == 302
        response = client.post("/customers/bageriet/privacy-export", data={"csrf_token": csrf_of(client)})

        assert response.status_code == 302 and response.headers["Location"].endswith("/customers/bageriet#privacy")
        page = client.get("/customers/bageriet").get_data(as_text=True)
    assert "privacy/index.da.html.j2 findes ikke" in page
    assert _logs(engine) == ([], [])


def test_an_alias_staff_added_on_a_ticket_is_one_of_the_contacts_addresses_in_her_export(
        post: Post, engine: Engine, ingest: Callable[[bytes], Any],
        export_of: Callable[[str], dict[str, bytes]]) -> None:
    private = build_mail(sender="lone.mobil@outlook.dk", name="Lone", subject="Fra mobilen")
    number = ingest(private)["ticket"]
    assert post(f"/tickets/{number}/sender/alias", contact=LONE).status_code == 302
    lone = _contact_id(engine, LONE)

    person = _zip(post(f"/customers/bageriet/contacts/{lone}/privacy-export"))

    assert [hashlib.sha256(d).hexdigest() for n, d in person.items() if n.startswith("mails/")] == \
        [hashlib.sha256(private).hexdigest()]
    assert "lone.mobil@outlook.dk" in json.loads(person["person.json"])["addresses"]
    assert json.loads(export_of("lone.mobil@outlook.dk")["person.json"])["contact"]["email"] == LONE
