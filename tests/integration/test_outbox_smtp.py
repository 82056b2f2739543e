"""Delivering the outbox to a real SMTP server (aiosmtpd): headers, threading, retries, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage
from tests.conftest import SmtpCapture, mail_bytes

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def outbox_rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_ack_is_delivered_threaded_and_marked_automatic(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture
) -> None:
    decision = Runner(smtp_settings, engine).process(mail_bytes("plain-danish-utf8-qp.eml"), "t", now=NOW)

    summary = flush_outbox(smtp_settings, engine, now=NOW)

    assert (summary.sent, summary.failed, summary.retrying) == (1, 0, 0)
    [ack] = smtp_server.messages
    assert smtp_server.envelopes[0] == ("support@mico.dk", ["lone@bageriet-soerensen.dk"])
    assert ack["Subject"] == f"[MICO #{decision['ticket']}] Printeren på 1. sal virker ikke"
    assert ack["In-Reply-To"] == "<orig-1@bageriet-soerensen.dk>"
    assert "<orig-1@bageriet-soerensen.dk>" in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["Message-ID"].endswith("@mico.dk>")
    text = ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = ack.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"sag #{decision['ticket']}" in text and "09:00–16:00" in text and "vagttelefon" in text
    assert "Printeren på 1. sal virker ikke" in html and "Dette er en automatisk kvittering" in html
    assert outbox_rows(engine)[0].status == "sent"


def test_a_second_flush_sends_nothing(smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture) -> None:
    Runner(smtp_settings, engine).process(mail_bytes("plain-danish-utf8-qp.eml"), "t", now=NOW)
    flush_outbox(smtp_settings, engine, now=NOW)

    again = flush_outbox(smtp_settings, engine, now=NOW + timedelta(hours=1))

    assert again.sent == 0 and len(smtp_server.messages) == 1


def test_a_temporary_failure_is_retried_with_backoff(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture
) -> None:
    Runner(smtp_settings, engine).process(mail_bytes("plain-danish-utf8-qp.eml"), "t", now=NOW)
    smtp_server.refuse_with = "451 4.3.0 try again later"

    first = flush_outbox(smtp_settings, engine, now=NOW)
    [row] = outbox_rows(engine)
    assert (first.retrying, row.status, row.attempts) == (1, "queued", 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=smtp_settings.outbox.backoff_seconds)
    assert "451" in str(row.last_error)

    too_early = flush_outbox(smtp_settings, engine, now=NOW + timedelta(seconds=10))
    assert too_early.sent == 0 and too_early.retrying == 0

    smtp_server.refuse_with = None
    later = flush_outbox(smtp_settings, engine, now=row.next_attempt_at)
    assert later.sent == 1 and len(smtp_server.messages) == 1


def test_a_permanent_refusal_fails_at_once(smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture) -> None:
    Runner(smtp_settings, engine).process(mail_bytes("plain-danish-utf8-qp.eml"), "t", now=NOW)
    smtp_server.refuse_with = "550 5.1.1 mailbox unavailable"

    summary = flush_outbox(smtp_settings, engine, now=NOW)

    [row] = outbox_rows(engine)
    assert (summary.failed, row.status) == (1, "failed")


def test_an_unreachable_server_keeps_the_mail_queued(smtp_settings: Settings, engine: Engine) -> None:
    from dataclasses import replace

    from tests.conftest import free_port

    unreachable = replace(smtp_settings, smtp=replace(smtp_settings.smtp, port=free_port(), timeout_seconds=2))
    Runner(unreachable, engine).process(mail_bytes("plain-danish-utf8-qp.eml"), "t", now=NOW)

    summary = flush_outbox(unreachable, engine, now=NOW)

    [row] = outbox_rows(engine)
    assert (summary.retrying, row.status) == (1, "queued")


def test_a_send_interrupted_by_a_crash_is_not_sent_again(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture
) -> None:
    Runner(smtp_settings, engine).process(mail_bytes("plain-danish-utf8-qp.eml"), "t", now=NOW)
    with Session(engine) as session, session.begin():  # a flush claimed the row, then the process died
        row = session.scalars(select(OutboxMessage)).one()
        row.status, row.claimed_at = "sending", NOW

    summary = flush_outbox(smtp_settings, engine, now=NOW + timedelta(hours=1))

    assert summary.interrupted == 1 and summary.sent == 0 and smtp_server.messages == []
    assert outbox_rows(engine)[0].status == "uncertain"  # the server may have it: staff decide (outbox list)
    flush_outbox(smtp_settings, engine, now=NOW + timedelta(days=1))
    assert smtp_server.messages == [] and outbox_rows(engine)[0].status == "uncertain"


def test_a_subject_with_encoded_newlines_cannot_inject_headers(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture
) -> None:
    decision = Runner(smtp_settings, engine).process(mail_bytes("header-injection-subject.eml"), "t", now=NOW)
    flush_outbox(smtp_settings, engine, now=NOW)

    assert "\n" not in decision["subject"] and "\r" not in decision["subject"]
    [ack] = smtp_server.messages
    assert ack["Bcc"] is None
    assert [rcpt for _, rcpts in smtp_server.envelopes for rcpt in rcpts] == [decision["from"]]


def test_an_ack_to_a_danish_name_with_a_long_subject_arrives_with_name_and_subject_exact(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture
) -> None:
    from tests.mailbuilder import build_mail

    subject = " ".join(["Printeren på 1. sal virker ikke, og scanneren på 2. sal siger fejl 0x1F — hjælp 😀"] * 3)
    mail = build_mail(name='Lone "Bageren" Sørensen', subject=subject, message_id="<long-1@bageriet-soerensen.dk>")
    decision = Runner(smtp_settings, engine).process(mail, "t", now=NOW)

    assert flush_outbox(smtp_settings, engine, now=NOW).sent == 1
    [ack] = smtp_server.messages
    assert ack["Subject"] == f"[MICO #{decision['ticket']}] {subject}"
    assert [(a.display_name, a.addr_spec) for a in ack["To"].addresses] == [
        ('Lone "Bageren" Sørensen', "lone@bageriet-soerensen.dk")]
    assert smtp_server.envelopes == [("support@mico.dk", ["lone@bageriet-soerensen.dk"])]  # the bare address
    assert ack["In-Reply-To"] == "<long-1@bageriet-soerensen.dk>"
