"""Replying from the ticket page: canned replies, the signature, Cc, attachments and the three send choices.

Through the web app over a migrated database, tickets from real mail; what the outbox holds is read back
as the customer's mail client would read it.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import PACKAGED_TEMPLATES, Settings
from inbox_worker.store.models import AuditEntry, OutboxAttachment, OutboxMessage, Staff
from inbox_worker.web import create_app
from tests.conftest import make_settings
from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, csrf_of, login, text_of, ticket_row

Post = Callable[..., Any]
Ingest = Callable[[bytes], dict[str, Any]]


def replies(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")
                                    .order_by(OutboxMessage.id)))


def as_sent(row: OutboxMessage) -> EmailMessage:
    message = message_from_bytes(row.body, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def plain(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]


def reply_box_text(page: str) -> str:
    """What the reply textarea holds, as the browser shows it (the HTML entities decoded)."""
    found = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "the reply box has no textarea"
    return html.unescape(found.group(1))


def canned(client: FlaskClient, number: int, reply_id: str) -> str:
    response = client.get(f"/tickets/{number}?standardsvar={reply_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- canned replies ------------------------------------------------------------------------------------------


def test_a_canned_reply_is_filled_with_the_danish_contacts_name_the_ticket_device_and_coverage(
        client: FlaskClient, post: Post, engine: Engine, ticket: int) -> None:
    post(f"/tickets/{ticket}/devices", device="BAG-PC-01")  # the rules linked the printer; staff add the laptop
    assert ticket_row(engine, ticket).coverage_status == "covered"

    box = reply_box_text(canned(client, ticket, "vi-kigger"))

    assert box.startswith("Hej Lone\n\nTak for din henvendelse om \"Printeren virker ikke\". Vi kigger på det nu")
    assert "det drejer sig om BAG-PC-01 (Lones bærbare), BAG-PRN-01 (Printeren på kontoret)." in box
    assert "Henvendelsen er dækket af jeres serviceaftale" in box
    assert "{{" not in box and replies(engine) == []  # picking one sends nothing: staff edit it first


def test_a_canned_reply_for_an_english_contact_is_in_english_with_the_billable_rate(
        client: FlaskClient, post: Post, engine: Engine, ingest: Ingest) -> None:
    number = ingest(build_mail(sender="mark@bageriet-soerensen.dk", name="Mark Thompson",
                               subject="Webcam not working in Teams"))["ticket"]
    post(f"/tickets/{number}/coverage", status="billable", rate_dkk="950", reason="Ikke en del af aftalen")

    box = reply_box_text(canned(client, number, "faktureres"))

    assert box.startswith("Hi Mark\n\nThank you for contacting us about \"Webcam not working in Teams\".")
    assert "billed by the time spent at DKK 950.00 per hour." in box
    assert f"ticket #{number}" in box


def test_the_picker_lists_the_canned_replies_in_a_get_form_that_works_without_javascript(
        client: FlaskClient, ticket: int) -> None:
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    picker = re.search(r'<form method="get" action="/tickets/\d+#svar" class="canned-pick">(.*?)</form>', page, re.S)
    assert picker is not None
    titles = re.findall(r'<option value="([a-z-]+)"[^>]*>([^<]+)</option>', picker.group(1))
    assert ("vi-kigger", "Vi kigger på det") in titles and ("loest", "Løst – luk gerne") in titles
    assert len(titles) == 6


def test_hostile_ticket_data_in_a_canned_reply_stays_plain_text(client: FlaskClient, post: Post, engine: Engine,
                                                                 ingest: Ingest) -> None:
    hostile = '<img src=x onerror=alert(1)>{{ 7*7 }}"</textarea><script>alert(2)</script>'
    number = ingest(build_mail(subject=hostile))["ticket"]

    page = canned(client, number, "vi-kigger")
    box = reply_box_text(page)
    post(f"/tickets/{number}/reply", body=box, then="")

    assert "<script>alert(2)" not in page and "<img src=x" not in page  # escaped in the page ...
    assert "{{ 7*7 }}" in box and "49" not in box  # ... and the subject is data, never a template
    assert "<script>alert(2)</script>" in box  # the text staff see is what the customer wrote
    [row] = replies(engine)
    sent = as_sent(row)
    assert "<script>alert(2)</script>" in plain(sent)  # plain text stays text
    assert "<script>" not in html_part(sent) and "&lt;script&gt;alert(2)" in html_part(sent)


def test_a_canned_reply_whose_template_is_broken_gives_a_danish_message_not_an_error_page(
        tmp_path: Path, db_url: str, engine: Engine, staff: dict[str, str], ingest: Ingest) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(PACKAGED_TEMPLATES, templates)
    (templates / "canned" / "vi-kigger.da.txt.j2").write_text("Hej {{ name }\n", encoding="utf-8")
    (templates / "canned" / "besoeg.da.txt.j2").write_text("Hej {{ ukendt_felt }}\n", encoding="utf-8")
    settings = make_settings(tmp_path, db_url, web={"secret_key": "test-secret-key-not-for-production"},
                             paths={"templates": str(templates)})
    app: Flask = create_app(settings, engine)
    number = ingest(build_mail())["ticket"]
    with app.test_client() as client:
        login(client)
        broken = client.get(f"/tickets/{number}?standardsvar=vi-kigger")
        unknown_field = client.get(f"/tickets/{number}?standardsvar=besoeg")
        missing = client.get(f"/tickets/{number}?standardsvar=findes-ikke")

    for response in (broken, unknown_field, missing):
        assert response.status_code == 200
        assert reply_box_text(response.get_data(as_text=True)) == ""
    assert "Standardsvaret »Vi kigger på det« kan ikke bruges: canned/vi-kigger.da.txt.j2, linje 1" in \
        text_of(broken.get_data(as_text=True))
    assert "kan ikke bruges" in text_of(unknown_field.get_data(as_text=True))
    assert "'ukendt_felt' is undefined" in html.unescape(unknown_field.get_data(as_text=True))
    assert "Standardsvaret »findes-ikke« findes ikke" in text_of(missing.get_data(as_text=True))


# --- the send choices --------------------------------------------------------------------------------------


def test_send_and_close_closes_the_ticket_and_audits_both(post: Post, engine: Engine, ticket: int) -> None:
    response = post(f"/tickets/{ticket}/reply", body="Printeren virker igen.", then="closed")
    assert response.status_code == 302
    assert ticket_row(engine, ticket).status == "closed" and ticket_row(engine, ticket).closed_at is not None
    assert audit_actions(engine, ticket) == ["reply", "set-status"]
    assert len(replies(engine)) == 1


def test_send_leaves_the_status_as_it_was(post: Post, engine: Engine, ticket: int) -> None:
    post(f"/tickets/{ticket}/reply", body="Vi kigger på det.", then="")
    assert ticket_row(engine, ticket).status == "open"
    assert audit_actions(engine, ticket) == ["reply"]


def test_a_reply_on_a_closed_ticket_keeps_it_closed(post: Post, client: FlaskClient, engine: Engine,
                                                     ticket: int) -> None:
    post(f"/tickets/{ticket}/set", field="status", value="closed")
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "Sagen er lukket: »Send« lader den være lukket." in text_of(page)

    post(f"/tickets/{ticket}/reply", body="Til orientering: fakturaen er sendt.", then="")

    assert ticket_row(engine, ticket).status == "closed"
    assert audit_actions(engine, ticket) == ["set-status", "reply"]
    assert len(replies(engine)) == 1


def test_send_and_wait_sets_waiting_for_the_customer(post: Post, engine: Engine, ticket: int) -> None:
    post(f"/tickets/{ticket}/reply", body="Hvilken printer drejer det sig om?", then="waiting")
    assert ticket_row(engine, ticket).status == "waiting"
    assert audit_actions(engine, ticket) == ["reply", "set-status"]


def test_the_reply_box_offers_three_explicit_choices_and_no_checkbox(client: FlaskClient, ticket: int) -> None:
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    box = page[page.index('action="/tickets/'f'{ticket}/reply"'):]
    box = box[:box.index("</form>")]
    assert re.findall(r'<button type="submit" name="then" value="(\w*)">([^<]+)</button>', box) == [
        ("", "Send"), ("waiting", "Send og sæt til afventer kunde"), ("closed", "Send og luk")]
    assert 'type="checkbox"' not in box and 'data-shortcut="r"' in box
    assert 'enctype="multipart/form-data"' in box and 'type="file" name="attachments" multiple' in box


def test_send_and_close_from_a_stale_page_changes_nothing(post: Post, engine: Engine, ticket: int) -> None:
    stale = str(ticket_row(engine, ticket).version)
    post(f"/tickets/{ticket}/note", text="Kollega har ringet til kunden")
    response = post(f"/tickets/{ticket}/reply", body="Lukker sagen.", then="closed", version=stale)
    assert response.status_code == 409
    assert ticket_row(engine, ticket).status == "open" and replies(engine) == []
    assert "Lukker sagen.</textarea>" in response.get_data(as_text=True)


def test_a_stale_reply_with_files_names_the_files_to_attach_again(post: Post, engine: Engine, ticket: int) -> None:
    """The text is put back in the box; files cannot be (a browser never lets a page fill a file input), so
    the refusal says which ones were chosen instead of dropping them silently."""
    stale = str(ticket_row(engine, ticket).version)
    post(f"/tickets/{ticket}/note", text="Kollega har ringet til kunden")
    response = post(f"/tickets/{ticket}/reply", body="Tilbuddet er vedhæftet.", then="", version=stale,
                    attachments=[(BytesIO(b"%PDF-1.4 tilbud"), "Tilbud æøå.pdf", "application/pdf")])
    assert response.status_code == 409 and replies(engine) == []
    page = response.get_data(as_text=True)
    assert "Tilbuddet er vedhæftet.</textarea>" in page
    assert "Vedhæft filerne igen (Tilbud æøå.pdf)" in html.unescape(page)


def test_an_unknown_choice_is_refused(post: Post, engine: Engine, ticket: int) -> None:
    assert post(f"/tickets/{ticket}/reply", body="Hej", then="deleted").status_code == 400
    assert replies(engine) == []


# --- the signature and Min profil -------------------------------------------------------------------------


def test_the_signature_is_shown_in_the_box_and_goes_under_the_reply(client: FlaskClient, post: Post,
                                                                    engine: Engine, ticket: int) -> None:
    signature = "Venlig hilsen\nJens Hansen, tekniker\nMICO ApS · 70 20 30 40 <direkte>"
    post("/profile", name="Jens Hansen", signature=signature)

    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "Jens Hansen, tekniker" in page and "&lt;direkte&gt;" in page and "<direkte>" not in page

    post(f"/tickets/{ticket}/reply", body="Printeren er skiftet.", then="")
    sent = as_sent(replies(engine)[0])
    assert "Printeren er skiftet.\n\nVenlig hilsen\nJens Hansen, tekniker\nMICO ApS · 70 20 30 40 <direkte>" \
        in plain(sent).replace("\r\n", "\n")
    assert "Med venlig hilsen" not in plain(sent)  # the signature replaces the default greeting
    assert "&lt;direkte&gt;" in html_part(sent) and "<direkte>" not in html_part(sent)


def test_without_a_signature_the_box_shows_the_default_greeting_that_is_sent(client: FlaskClient, post: Post,
                                                                              engine: Engine, ticket: int) -> None:
    page = text_of(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert "du har ingen underskrift endnu" in page and "Med venlig hilsen Jens Hansen" in page
    post(f"/tickets/{ticket}/reply", body="Vi ser på det.", then="")
    assert "Med venlig hilsen\nJens Hansen" in plain(as_sent(replies(engine)[0])).replace("\r\n", "\n")


def test_min_profil_saves_name_and_signature_audited(client: FlaskClient, post: Post, engine: Engine) -> None:
    page = client.get("/profile").get_data(as_text=True)
    assert "Min profil" in page and 'name="signature"' in page and 'name="csrf_token"' in page

    response = post("/profile", name="Jens H. Hansen", signature="Mvh Jens\r\nMICO")

    assert response.status_code == 302
    with Session(engine) as session:
        member = session.scalar(select(Staff).where(Staff.initials == "JH"))
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "profile"))
    assert member is not None and (member.name, member.signature) == ("Jens H. Hansen", "Mvh Jens\nMICO")
    assert entry is not None and entry.actor == "JH" and entry.details["changed"] == ["name", "signature"]
    assert (entry.details["before"], entry.details["after"]) == ("Jens Hansen", "Jens H. Hansen")


def test_min_profil_needs_the_csrf_token_and_caps_the_signature(client: FlaskClient, post: Post,
                                                                engine: Engine) -> None:
    forged = client.post("/profile", data={"name": "Ondsindet", "signature": "x", "csrf_token": "forfalsket"})
    too_long = post("/profile", name="Jens Hansen", signature="x" * 1001)

    assert forged.status_code == 400 and too_long.status_code == 400
    assert "Underskriften må højst være 1000 tegn" in too_long.get_data(as_text=True)
    with Session(engine) as session:
        member = session.scalar(select(Staff).where(Staff.initials == "JH"))
        assert member is not None and (member.name, member.signature) == ("Jens Hansen", "")
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "profile")) == 0


# --- Cc ------------------------------------------------------------------------------------------------------


def test_cc_addresses_are_kept_on_the_reply_and_in_its_header(post: Post, engine: Engine, ticket: int) -> None:
    post(f"/tickets/{ticket}/reply", body="Se vedlagte.", then="",
         cc="mark@bageriet-soerensen.dk; bogholderi@bageriet-soerensen.dk, lone@bageriet-soerensen.dk")

    [row] = replies(engine)
    assert row.cc == ["mark@bageriet-soerensen.dk", "bogholderi@bageriet-soerensen.dk"]  # not the recipient again
    assert as_sent(row)["Cc"] == "mark@bageriet-soerensen.dk, bogholderi@bageriet-soerensen.dk"
    with Session(engine) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "reply"))
    assert entry is not None and entry.details["cc"] == row.cc


@pytest.mark.parametrize(("cc", "message"), [
    ("mark@bageriet-soerensen.dk\r\nBcc: spion@evil.example", "Cc-feltet må ikke indeholde linjeskift"),
    ("mark@bageriet-soerensen.dk\nBcc: spion@evil.example", "Cc-feltet må ikke indeholde linjeskift"),
    ('"Chefen, <chef@bageriet-soerensen.dk>" <spion@evil.example>', "i Cc-feltet er ikke en mailadresse"),
    ("Mark <mark@bageriet-soerensen.dk>", "i Cc-feltet er ikke en mailadresse"),
    ("mark@bageriet-soerensen.dk,spion@evil.example(kommentar)", "i Cc-feltet er ikke en mailadresse"),
    ("ikke-en-adresse", "i Cc-feltet er ikke en mailadresse"),
    (", ".join(f"k{n}@bageriet-soerensen.dk" for n in range(6)), "Højst 5 adresser i Cc-feltet (der er 6)"),
])
def test_a_cc_that_could_smuggle_a_header_or_recipient_is_refused_in_danish(
        post: Post, client: FlaskClient, engine: Engine, ticket: int, cc: str, message: str) -> None:
    response = post(f"/tickets/{ticket}/reply", body="Hej Lone, printeren er bestilt.", then="closed", cc=cc)
    assert response.status_code == 422  # the page again: the reply typed is not lost for a Cc typo
    html = response.get_data(as_text=True)
    assert message in text_of(html) and "Hej Lone, printeren er bestilt." in html
    assert replies(engine) == [] and ticket_row(engine, ticket).status == "open"
    assert audit_actions(engine, ticket) == []


# --- attachments ---------------------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """The web settings, with small attachment caps: 20 kB a file, 30 kB a reply."""
    return make_settings(tmp_path, db_url, web={"secret_key": "test-secret-key-not-for-production",
                                                "reply_attachment_max_mb": 20 / 1024,
                                                "reply_attachments_total_mb": 30 / 1024})


def test_attachments_are_stored_like_inbound_ones_and_recorded_on_the_reply(
        post: Post, client: FlaskClient, engine: Engine, settings: Settings, ticket: int) -> None:
    pdf, image = b"%PDF-1.4 tilbud " * 500, bytes(range(256)) * 20
    post(f"/tickets/{ticket}/reply", body="Tilbuddet er vedhæftet.", then="",
         attachments=[(BytesIO(pdf), "Tilbud på printer æøå.pdf", "application/pdf"),
                      (BytesIO(image), "../../skærm.png", "image/png")])

    [row] = replies(engine)
    with Session(engine) as session:
        files = list(session.scalars(select(OutboxAttachment).where(OutboxAttachment.outbox_id == row.id)
                                     .order_by(OutboxAttachment.id)))
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("Tilbud på printer æøå.pdf", "application/pdf", len(pdf)), ("skærm.png", "image/png", len(image))]
    stored = Path(settings.storage.attachments_dir)
    assert [(stored / f.stored_path).read_bytes() for f in files] == [pdf, image]
    # The reply in the thread lists what it carried.
    thread = text_of(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert "📎 Tilbud på printer æøå.pdf application/pdf, 7.8 kB · sendt med svaret" in thread
    assert "📎 skærm.png image/png, 5.0 kB · sendt med svaret" in thread


def test_an_empty_file_input_is_no_attachment(post: Post, engine: Engine, ticket: int) -> None:
    post(f"/tickets/{ticket}/reply", body="Uden filer.", then="", attachments=(BytesIO(b""), ""))
    [row] = replies(engine)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxAttachment)) == 0
    assert row.status == "queued"


@pytest.mark.parametrize(("files", "message"), [
    ([("stor.pdf", 21 * 1024)], "Filen »stor.pdf« er 0,0 MB – højst 0,0 MB pr. fil. Svaret er ikke sendt."),
    ([("a.pdf", 16 * 1024), ("b.pdf", 16 * 1024)], "De vedhæftede filer fylder tilsammen"),
])
def test_an_oversize_attachment_is_refused_in_danish_and_nothing_is_queued_or_stored(
        post: Post, client: FlaskClient, engine: Engine, settings: Settings, ticket: int,
        files: list[tuple[str, int]], message: str) -> None:
    response = post(f"/tickets/{ticket}/reply", body="Her er filen.", then="closed",
                    attachments=[(BytesIO(b"x" * size), name) for name, size in files])

    assert response.status_code == 422
    page = text_of(response.get_data(as_text=True))
    assert message in page and "Her er filen." in page
    assert f"Vedhæft filerne igen ({', '.join(name for name, _ in files)})" in page
    assert replies(engine) == [] and ticket_row(engine, ticket).status == "open"
    stored = Path(settings.storage.attachments_dir)
    assert not stored.exists() or not any(path.is_file() for path in stored.rglob("*"))


def test_a_form_over_the_request_cap_is_refused_with_a_danish_page(client: FlaskClient, engine: Engine,
                                                                   ticket: int) -> None:
    version = str(ticket_row(engine, ticket).version)
    response = client.post(f"/tickets/{ticket}/reply", data={
        "version": version, "csrf_token": csrf_of(client), "body": "Stor", "then": "",
        "attachments": (BytesIO(b"x" * (2 * 1024 * 1024)), "kæmpe.iso")})
    assert response.status_code == 413
    assert "Svaret er ikke sendt" in text_of(response.get_data(as_text=True))
    assert replies(engine) == []
