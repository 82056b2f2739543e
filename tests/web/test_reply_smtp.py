"""A staff reply with Cc and attachments, from the ticket page to a real SMTP server (aiosmtpd).

The attachments are added as MIME parts when the outbox sends the reply, so they are checked where the
customer gets them: in the message the server received, byte for byte, and again after a failed send
was retried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.store.models import OutboxAttachment, OutboxMessage
from tests.conftest import SmtpCapture, make_settings

Post = Callable[..., Any]
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"  # every byte value: base64 must carry them all
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 3000


@pytest.fixture
def settings(tmp_path: Path, db_url: str, smtp_server: SmtpCapture) -> Settings:
    return make_settings(tmp_path, db_url, web={"secret_key": "test-secret-key-not-for-production"},
                         smtp={"host": smtp_server.host, "port": smtp_server.port, "starttls": False})


@pytest.fixture
def ticket(ticket: int, settings: Settings, engine: Engine, smtp_server: SmtpCapture) -> int:
    """Lone's printer ticket, its acknowledgement already sent: the server then receives only the reply."""
    assert flush_outbox(settings, engine, now=datetime.now(UTC)).sent == 1
    smtp_server.messages.clear()
    smtp_server.envelopes.clear()
    return ticket


def send_reply(post: Post, ticket: int) -> None:
    response = post(f"/tickets/{ticket}/reply", body="Hej Lone\n\nTilbud og billede er vedhæftet.",
                    then="waiting", cc="mark@bageriet-soerensen.dk, bogholderi@bageriet-soerensen.dk",
                    attachments=[(BytesIO(PDF), "Tilbud på ny printer.pdf", "application/pdf"),
                                 (BytesIO(PHOTO), "skærmbillede.png", "image/png")])
    assert response.status_code == 302


def files_of(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    return [(part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
            for part in message.iter_attachments()]


def assert_is_the_reply(message: EmailMessage, ticket: int) -> None:
    assert message.get_content_type() == "multipart/mixed"
    assert message["Subject"] == f"[MICO #{ticket}] Printeren virker ikke"
    assert message["Cc"] == "mark@bageriet-soerensen.dk, bogholderi@bageriet-soerensen.dk"
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "Tilbud og billede er vedhæftet." in text and "Tilbud og billede er vedhæftet." in html
    assert files_of(message) == [("Tilbud på ny printer.pdf", "application/pdf", PDF),
                                 ("skærmbillede.png", "image/png", PHOTO)]


def test_a_reply_with_cc_and_attachments_arrives_with_every_recipient_and_the_exact_bytes(
        post: Post, engine: Engine, settings: Settings, smtp_server: SmtpCapture, ticket: int) -> None:
    send_reply(post, ticket)

    summary = flush_outbox(settings, engine, now=datetime.now(UTC))

    assert summary.sent == 1
    [(sender, recipients)] = smtp_server.envelopes
    assert sender == "support@mico.dk"
    assert recipients == ["lone@bageriet-soerensen.dk", "mark@bageriet-soerensen.dk",
                          "bogholderi@bageriet-soerensen.dk"]
    [message] = smtp_server.messages
    assert_is_the_reply(message, ticket)
    with Session(engine) as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reply"))
    assert row is not None and message["Message-ID"] == row.message_id  # the id the ticket's thread knows


def test_a_reply_whose_send_failed_still_carries_its_attachments_when_retried(
        post: Post, engine: Engine, settings: Settings, smtp_server: SmtpCapture, ticket: int) -> None:
    send_reply(post, ticket)
    smtp_server.refuse_with = "451 4.3.0 try again later"
    first = flush_outbox(settings, engine, now=datetime.now(UTC))
    assert (first.sent, first.retrying) == (0, 1) and smtp_server.messages == []

    smtp_server.refuse_with = None
    retried = flush_outbox(settings, engine, now=datetime.now(UTC) + timedelta(hours=2))

    assert retried.sent == 1
    [message] = smtp_server.messages
    assert_is_the_reply(message, ticket)


def test_a_reply_whose_attachment_vanished_from_the_store_fails_rather_than_going_without_it(
        post: Post, engine: Engine, settings: Settings, smtp_server: SmtpCapture, ticket: int) -> None:
    send_reply(post, ticket)
    with Session(engine) as session:
        stored = session.scalars(select(OutboxAttachment.stored_path)).first()
    assert stored is not None
    (Path(settings.storage.attachments_dir) / stored).unlink()

    summary = flush_outbox(settings, engine, now=datetime.now(UTC))

    assert (summary.sent, summary.failed) == (0, 1) and smtp_server.messages == []
    with Session(engine) as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reply"))
    assert row is not None and row.status == "failed"
    assert row.last_error is not None and "attachment missing" in row.last_error
