"""The failed-sends desk `/outbox` in the web UI: staff only, CSRF on its forms, audit-logged, mail content escaped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.store.models import OutboxMessage
from tests.conftest import SmtpCapture
from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, csrf_of
from tests.web.hostile import PAYLOAD, hostile_mail

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


@pytest.fixture
def smtp(settings: Settings, smtp_server: SmtpCapture) -> Settings:
    return replace(settings, smtp=replace(settings.smtp, host=smtp_server.host, port=smtp_server.port, starttls=False))


@pytest.fixture
def failed(smtp: Settings, engine: Engine, smtp_server: SmtpCapture,
           ingest: Callable[[bytes], dict[str, Any]]) -> tuple[int, int]:
    """A hostile mail's ack, refused by the SMTP server with a reply that carries the payload: (ticket, row)."""
    ticket = int(ingest(hostile_mail())["ticket"])
    smtp_server.refuse_with = f"550 5.7.1 refused {PAYLOAD}"
    assert flush_outbox(smtp, engine).failed == 1
    smtp_server.refuse_with = None
    with Session(engine) as session:
        return ticket, int(session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "ack")).one())


def status_of(engine: Engine, row_id: int) -> str:
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row.status


def test_the_desk_lists_failed_and_uncertain_mail_escaped(
    client: FlaskClient, engine: Engine, failed: tuple[int, int], ingest: Callable[[bytes], dict[str, Any]]
) -> None:
    ticket, row_id = failed
    ingest(build_mail(sender="mette@tandlaegerne-aaen.dk", subject="Skærmen er sort"))
    with Session(engine) as session, session.begin():  # an uncertain row beside it, and a queued one hidden
        uncertain = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "mette@tandlaegerne-aaen.dk")
                                    ).one()
        uncertain.status, uncertain.last_error = "uncertain", "no reply after the whole message was sent"
        uncertain_id = uncertain.id
    ingest(build_mail(sender="soeren@bageriet-soerensen.dk", subject="Stadig i kø"))

    page = client.get("/outbox")

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Fejlede afsendelser" in html
    assert f'id="outbox-{row_id}"' in html and f'href="/tickets/{ticket}"' in html
    assert f'id="outbox-{uncertain_id}"' in html and "Usikker" in html and "Stadig i kø" not in html
    assert f'action="/outbox/{row_id}/retry"' in html and f'action="/outbox/{uncertain_id}/cancel"' in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html  # the subject
    assert "<script>window.__pwned" not in html and "&lt;script&gt;window.__pwned" in html  # the server's reply
    assert "<svg onload" not in html and "<img src=" not in html
    assert "Stadig i kø" in client.get("/outbox?status=queued").get_data(as_text=True)


def test_retry_from_the_web_queues_it_audits_it_and_the_next_flush_sends_it_once(
    post: Callable[..., Any], smtp: Settings, engine: Engine, smtp_server: SmtpCapture, failed: tuple[int, int]
) -> None:
    ticket, row_id = failed

    response = post(f"/outbox/{row_id}/retry")

    assert response.status_code == 302 and response.headers["Location"] == "/outbox"
    assert status_of(engine, row_id) == "queued"
    assert "outbox-retry" in audit_actions(engine, ticket)
    assert flush_outbox(smtp, engine).sent >= 1
    assert flush_outbox(smtp, engine, now=datetime.now(UTC) + timedelta(days=1)).sent == 0
    acks = [m for m in smtp_server.messages if m["Auto-Submitted"] == "auto-replied"]
    assert len(acks) == 1 and status_of(engine, row_id) == "sent"


def test_cancel_from_the_web_is_final_and_a_sent_mail_is_refused(
    client: FlaskClient, post: Callable[..., Any], smtp: Settings, engine: Engine, smtp_server: SmtpCapture,
    failed: tuple[int, int]
) -> None:
    ticket, row_id = failed

    post(f"/outbox/{row_id}/cancel", status="cancelled")

    assert status_of(engine, row_id) == "cancelled" and "outbox-cancel" in audit_actions(engine, ticket)
    page = client.get("/outbox?status=cancelled").get_data(as_text=True)
    assert "Annulleret af JH" in page and f'action="/outbox/{row_id}/retry"' not in page
    refused = client.post(f"/outbox/{row_id}/retry", data={"csrf_token": csrf_of(client)}, follow_redirects=True)
    assert "er annulleret og sendes ikke" in refused.get_data(as_text=True)
    assert status_of(engine, row_id) == "cancelled"
    flush_outbox(smtp, engine, now=datetime.now(UTC) + timedelta(days=1))
    assert not [m for m in smtp_server.messages if m["Auto-Submitted"] == "auto-replied"]


def test_a_sent_row_cannot_be_retried_from_the_web(
    client: FlaskClient, smtp: Settings, engine: Engine, failed: tuple[int, int]
) -> None:
    _, row_id = failed
    with Session(engine) as session, session.begin():
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.sent_at = "sent", NOW

    page = client.post(f"/outbox/{row_id}/retry", data={"csrf_token": csrf_of(client)}, follow_redirects=True)

    assert "blev sendt 20.11.2026 11:30 og sendes aldrig igen" in page.get_data(as_text=True)
    assert status_of(engine, row_id) == "sent"


def test_the_forms_need_the_csrf_token(client: FlaskClient, engine: Engine, failed: tuple[int, int]) -> None:
    ticket, row_id = failed
    for action in ("retry", "cancel"):
        assert client.post(f"/outbox/{row_id}/{action}").status_code == 400
        assert client.post(f"/outbox/{row_id}/{action}", data={"csrf_token": "forged"}).status_code == 400
    assert status_of(engine, row_id) == "failed" and "outbox-retry" not in audit_actions(engine, ticket)


def test_the_desk_is_for_staff_only(app: Flask, engine: Engine, failed: tuple[int, int]) -> None:
    _, row_id = failed
    with app.test_client() as anonymous:
        assert anonymous.get("/outbox").status_code == 302
        assert "/login" in anonymous.get("/outbox").headers["Location"]
        response = anonymous.post(f"/outbox/{row_id}/retry", data={"csrf_token": csrf_of(anonymous)})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert status_of(engine, row_id) == "failed"


def test_the_nav_links_to_the_desk(client: FlaskClient) -> None:
    assert '<a href="/outbox">Fejlede afsendelser</a>' in client.get("/").get_data(as_text=True)
