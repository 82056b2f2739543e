"""The access log (GDPR, issue 16 item 4): a ticket shown or an attachment downloaded is recorded with who and
when, the presence heartbeat is not, and the ticket's audit section lists it grouped per staff member and day."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.store import access_log
from inbox_worker.store.access_log import AccessAction
from inbox_worker.store.db import make_engine
from inbox_worker.store.models import AccessEntry, Contact, Customer, TicketViewer
from inbox_worker.web import create_app
from tests.mailbuilder import build_mail
from tests.web.conftest import PASSWORD, csrf_of, login, text_of
from tests.web.live import log_in, serving
from tests.web.locks import lock_held, short_lock_wait

Ingest = Callable[[bytes], dict[str, Any]]
Row = tuple[str, str, int | None, str]  # action, actor, attachment id, what


def entries(engine: Engine, number: int) -> list[Row]:
    with Session(engine) as session:
        return [(e.action, e.actor, e.attachment_id, e.what) for e in access_log.for_ticket(session, number)]


def access_section(page: str) -> list[str]:
    """The lines of the ticket page's "Adgang" list, as text."""
    block = page.split('id="adgang"')[1].split("</ul>")[0]
    return [html.unescape(text_of(item)).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)]


def _colleague(app: Flask) -> FlaskClient:
    other = app.test_client()
    assert login(other, "kb@mico.dk").status_code == 302
    return other


def test_viewing_a_ticket_records_one_view_with_the_staff_initials(
        client: FlaskClient, engine: Engine, ticket: int) -> None:
    assert entries(engine, ticket) == []
    assert client.get(f"/tickets/{ticket}").status_code == 200
    assert entries(engine, ticket) == [("view", "JH", None, "")]
    with Session(engine) as session:  # the presence mark, written in the same transaction
        assert session.scalar(select(TicketViewer.ticket_id)) == ticket
    client.get(f"/tickets/{ticket}")
    assert entries(engine, ticket) == [("view", "JH", None, "")] * 2


def test_the_heartbeat_and_a_missing_ticket_record_nothing(client: FlaskClient, engine: Engine, ticket: int) -> None:
    assert client.get(f"/tickets/{ticket}/presence").status_code == 200
    assert client.get("/tickets/999999").status_code == 404
    assert client.head(f"/tickets/{ticket}").status_code == 200  # a HEAD shows nothing
    with Session(engine) as session:
        assert session.scalars(select(AccessEntry)).all() == []


def test_the_html_version_of_a_mail_is_a_view_of_its_own_kind(
        client: FlaskClient, engine: Engine, ticket: int) -> None:
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    entry = page.split(f"/tickets/{ticket}/mail/")[1].split('"')[0]
    assert client.get(f"/tickets/{ticket}/mail/{entry}").status_code == 200
    assert entries(engine, ticket) == [("view", "JH", None, ""), ("view", "JH", None, access_log.MAIL_HTML)]
    lines = access_section(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert [line.split(" ")[:4] for line in lines] == [["JH", "så", "sagen", "2"], ["JH", "så", "en", "mails"]]


def test_an_attachment_download_records_download_with_the_attachment_id(
        client: FlaskClient, engine: Engine, ingest: Ingest) -> None:
    number = ingest(build_mail(attachment=("lønseddel <b>marts</b>.pdf", b"%PDF-1.7 fortroligt")))["ticket"]
    other = ingest(build_mail(subject="Skærmen flimrer"))["ticket"]
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    attachment_id = int(page.split(f"/tickets/{number}/attachments/")[1].split('"')[0])
    assert client.get(f"/tickets/{number}/attachments/{attachment_id}").data == b"%PDF-1.7 fortroligt"
    assert client.get(f"/tickets/{other}/attachments/{attachment_id}").status_code == 404  # not its ticket
    assert entries(engine, number) == [("view", "JH", None, ""), ("download", "JH", attachment_id, "")]
    assert entries(engine, other) == []

    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    lines = access_section(page)
    assert lines[0].startswith("JH så sagen 2 gange, ")
    assert lines[1].startswith("JH hentede vedhæftningen »lønseddel <b>marts</b>.pdf« ")  # as text
    assert "»lønseddel &lt;b&gt;marts&lt;/b&gt;.pdf«" in page.split('id="adgang"')[1]  # escaped


def test_a_colleagues_views_show_too(client: FlaskClient, app: Flask, engine: Engine, ticket: int) -> None:
    _colleague(app).get(f"/tickets/{ticket}")
    lines = access_section(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert [line.split(" ")[:3] for line in lines] == [["KB", "så", "sagen"], ["JH", "så", "sagen"]]
    assert entries(engine, ticket) == [("view", "KB", None, ""), ("view", "JH", None, "")]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_audit_section_groups_views_per_staff_member_and_copenhagen_day(
        client: FlaskClient, engine: Engine, ticket: int, ingest: Ingest) -> None:
    other = ingest(build_mail(subject="Noget andet"))["ticket"]
    with Session(engine) as session, session.begin():
        bageriet = session.scalar(select(Customer).where(Customer.key == "bageriet"))
        assert bageriet is not None
        lone = session.scalar(select(Contact).where(Contact.email == "lone@bageriet-soerensen.dk"))
        someone_else = session.scalar(select(Contact).where(Contact.customer_id == bageriet.id,
                                                            Contact.id != (lone.id if lone else 0)))
        assert lone is not None and someone_else is not None
        lone_id = lone.id
        for moment in ("2024-12-02T13:02:00", "2024-12-02T13:20:00", "2024-12-02T13:40:00"):  # 14:02–14:40 CET
            access_log.record(session, "JH", AccessAction.VIEW, _at(moment), ticket=ticket)
        access_log.record(session, "JH", AccessAction.VIEW, _at("2024-12-02T23:30:00"), ticket=ticket)  # 3 Dec, 00:30
        access_log.record(session, "KB", AccessAction.VIEW, _at("2024-07-01T12:00:00"), ticket=ticket)  # 14:00 CEST
        access_log.record(session, "KB", AccessAction.EXPORT, _at("2024-12-03T09:00:00"), customer=bageriet.id,
                          what=access_log.customer_scope("bageriet"))
        access_log.record(session, "JH", AccessAction.EXPORT, _at("2024-12-04T09:00:00"), customer=bageriet.id,
                          what=access_log.person_scope(lone.id))
        access_log.record(session, "JH", AccessAction.EXPORT, _at("2024-12-05T09:00:00"), customer=bageriet.id,
                          what=access_log.person_scope(someone_else.id))  # another person: not this ticket's
        access_log.record(session, "JH", AccessAction.VIEW, _at("2024-12-05T09:00:00"), ticket=other)
    lines = access_section(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert lines[:5] == [
        "KB så sagen 1. jul. 2024 14:00",
        "JH så sagen 3 gange, 2. dec. 2024 14:02–14:40",
        "JH så sagen 3. dec. 2024 00:30",
        "KB udleverede persondata om kunden bageriet 3. dec. 2024 10:00",
        f"JH udleverede persondata om person #{lone_id} 4. dec. 2024 10:00",
    ]
    assert len(lines) == 6 and re.fullmatch(r"JH så sagen \d+\. \S+ \d\d:\d\d", lines[5])  # this view: this year


def test_the_page_shown_again_after_a_refused_stale_action_is_a_view(
        client: FlaskClient, app: Flask, engine: Engine, ticket: int) -> None:
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    mine = dict(re.findall(r'name="(version|loaded_at)" value="([^"]*)"', page)[:2])
    karin = _colleague(app)
    karin.get(f"/tickets/{ticket}")
    assert karin.post(f"/tickets/{ticket}/note", data={**mine, "text": "Ringer", "csrf_token": csrf_of(karin)}
                      ).status_code == 302
    refused = client.post(f"/tickets/{ticket}/note", data={**mine, "text": "Også mig", "csrf_token": csrf_of(client)})
    assert refused.status_code == 409
    assert [(action, actor) for action, actor, _, _ in entries(engine, ticket)] == [
        ("view", "JH"), ("view", "KB"), ("view", "JH")]


def access_log_held(settings: Settings, engine: Engine) -> Any:
    """Another writer holding the lock the access record needs: on PostgreSQL the access_log table alone (so the
    login and the ticket's reads go through and it is this write that cannot), on SQLite the whole database."""
    return lock_held(settings, engine, "access_log")


@pytest.fixture
def impatient_app(settings: Settings, engine: Engine) -> Iterator[Flask]:
    """The app giving up on a held lock after 0.2 s instead of the configured wait."""
    app_engine = short_lock_wait(make_engine(settings.database.url))
    yield create_app(settings, app_engine)
    app_engine.dispose()


def test_a_view_that_cannot_be_recorded_is_not_shown(impatient_app: Flask, settings: Settings, engine: Engine,
                                                     staff: dict[str, str], ticket: int, ingest: Ingest) -> None:
    number = ingest(build_mail(attachment=("kontrakt.pdf", b"%PDF-1.7 hemmelig")))["ticket"]
    client = impatient_app.test_client()
    assert login(client).status_code == 302
    page = client.get(f"/tickets/{number}").get_data(as_text=True)
    attachment_id = page.split(f"/tickets/{number}/attachments/")[1].split('"')[0]
    with access_log_held(settings, engine):
        refused = client.get(f"/tickets/{ticket}")
        download = client.get(f"/tickets/{number}/attachments/{attachment_id}")
    assert refused.status_code == 503 and "prøv igen" in refused.get_data(as_text=True)
    assert "Printeren virker ikke" not in refused.get_data(as_text=True)
    assert download.status_code == 503 and b"hemmelig" not in download.data
    assert entries(engine, ticket) == [] and entries(engine, number) == [("view", "JH", None, "")]
    assert client.get(f"/tickets/{ticket}").status_code == 200  # the lock gone: shown, and recorded
    assert entries(engine, ticket) == [("view", "JH", None, "")]


def test_in_chromium_one_page_load_is_one_view_and_the_download_is_listed(
        browser: Any, app: Flask, engine: Engine, staff: dict[str, str], ingest: Ingest) -> None:
    number = ingest(build_mail(attachment=("skærmbillede.png", b"\x89PNG fake")))["ticket"]
    with serving(app) as url:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        log_in(page, url, "jh@mico.dk", PASSWORD)
        page.goto(f"{url}/tickets/{number}")
        with page.expect_response(lambda r: r.url.endswith(f"/tickets/{number}/presence")):
            page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # a heartbeat, now
        assert entries(engine, number) == [("view", "JH", None, "")]  # the page, its styles, scripts and beat
        with page.expect_download() as download:
            page.click("p.attachment a")
        assert download.value.suggested_filename == "skærmbillede.png"
        page.reload()
        page.click("#revisionslog summary")
        page.wait_for_selector("#adgang")
        lines = page.locator("ul.access li").all_inner_texts()
        assert lines[0].startswith("JH så sagen 2 gange, ")
        assert lines[1].startswith("JH hentede vedhæftningen »skærmbillede.png« ")
        context.close()
    assert [action for action, *_ in entries(engine, number)] == ["view", "download", "view"]
