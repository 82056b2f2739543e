"""Two people, one ticket: an action from a page that is out of date is refused, the change shown, nothing lost."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import OutboxMessage, TicketEntry
from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, csrf_of, login, text_of, ticket_row

Post = Callable[..., Any]


def _form_fields(page: str) -> dict[str, str]:
    """The version and load moment the page's first ticket form would send."""
    return dict(re.findall(r'name="(version|loaded_at)" value="([^"]*)"', page)[:2])


def _colleague(app: Flask) -> FlaskClient:
    other = app.test_client()
    assert login(other, "kb@mico.dk").status_code == 302
    return other


def test_a_status_change_from_a_stale_page_is_refused_naming_the_change(
        client: FlaskClient, app: Flask, engine: Engine, ticket: int) -> None:
    mine = _form_fields(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    karin = _colleague(app)
    theirs = _form_fields(karin.get(f"/tickets/{ticket}").get_data(as_text=True))
    assert karin.post(f"/tickets/{ticket}/set", data={**theirs, "field": "status", "value": "closed",
                                                      "csrf_token": csrf_of(karin)}).status_code == 302

    refused = client.post(f"/tickets/{ticket}/set", data={**mine, "field": "priority", "value": "emergency",
                                                           "csrf_token": csrf_of(client)})
    assert refused.status_code == 409
    page = text_of(refused.get_data(as_text=True))
    assert f"Sag #{ticket} er ændret, siden du åbnede den" in page
    assert "KB: status ændret" in page and "Din ændring er ikke gemt" in page
    stored = ticket_row(engine, ticket)
    assert (stored.status, stored.priority) == ("closed", "normal")
    assert audit_actions(engine, ticket) == ["set-status"]

    fresh = _form_fields(refused.get_data(as_text=True))  # the page it answered with is current: it works
    assert client.post(f"/tickets/{ticket}/set", data={**fresh, "field": "priority", "value": "emergency",
                                                        "csrf_token": csrf_of(client)}).status_code == 302
    assert ticket_row(engine, ticket).priority == "emergency"


def test_a_reply_typed_while_the_customer_wrote_again_is_kept_not_sent(
        client: FlaskClient, engine: Engine, ticket: int, ingest: Callable[[bytes], dict[str, Any]]) -> None:
    mine = _form_fields(client.get(f"/tickets/{ticket}").get_data(as_text=True))
    ingest(build_mail(subject=f"Re: [MICO #{ticket}] Printeren virker ikke", body="Nu virker den igen!",
                      message_id="<igen@bageriet-soerensen.dk>"))
    refused = client.post(f"/tickets/{ticket}/reply", data={**mine, "body": "Vi kommer i morgen kl. 9 – Jens",
                                                             "csrf_token": csrf_of(client)})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "ny mail fra lone@bageriet-soerensen.dk" in text_of(page)
    assert "Vi kommer i morgen kl. 9 – Jens</textarea>" in page  # what was typed is in the box again
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "reply")) == 0
        assert session.scalar(select(func.count()).select_from(TicketEntry).where(
            TicketEntry.ticket_id == ticket, TicketEntry.body_text.contains("Vi kommer i morgen"))) == 0


def test_a_form_without_a_version_is_refused(client: FlaskClient, engine: Engine, ticket: int) -> None:
    response = client.post(f"/tickets/{ticket}/note", data={"text": "uden version", "csrf_token": csrf_of(client)})
    assert response.status_code == 409
    assert audit_actions(engine, ticket) == []


def test_every_form_of_the_ticket_page_carries_the_version(client: FlaskClient, ticket: int) -> None:
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    forms = re.findall(r'<form[^>]*action="/tickets/\d+/[^"]*"[^>]*>(.*?)</form>', page, re.S)
    assert len(forms) >= 5
    for form in forms:
        assert 'name="version"' in form and 'name="loaded_at"' in form


def test_each_action_moves_the_version_and_the_updated_moment(post: Post, engine: Engine, ticket: int) -> None:
    before = ticket_row(engine, ticket)
    post(f"/tickets/{ticket}/note", text="Ringede til Lone")
    after = ticket_row(engine, ticket)
    assert after.version == before.version + 1 and after.updated_at > before.updated_at
