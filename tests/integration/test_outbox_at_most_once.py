"""At most once against a real aiosmtpd that misbehaves: a drop before the message is handed over is
retried; a drop (or silence) after the whole message went over is `uncertain` and never sent again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage
from tests.conftest import free_port, make_settings
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
LATER = [NOW + timedelta(minutes=m) for m in (1, 30, 240, 24 * 60)]


@dataclass
class Misbehaving:
    """An SMTP server that keeps what it receives and drops the connection when told to."""

    drop_at_rcpt: int = 0  # drop the connection at the next N RCPT commands
    drop_after_data: int = 0  # take the next N messages, then drop the connection instead of replying
    slow_reply_seconds: float = 0  # take the message, then wait this long before replying 250
    refuse_rcpt: set[str] = field(default_factory=set)  # 550 at RCPT for these
    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    rcpt_seen: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.rcpt_seen += 1
        if self.drop_at_rcpt:
            self.drop_at_rcpt -= 1
            server.transport.close()
            return "250 OK"  # never reaches the client
        if address in self.refuse_rcpt:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        if self.drop_after_data:
            self.drop_after_data -= 1
            server.transport.close()  # the message arrived; the reply to its final "." never goes out
        elif self.slow_reply_seconds:
            await asyncio.sleep(self.slow_reply_seconds)
        return "250 OK"


@pytest.fixture
def server() -> Iterator[tuple[Misbehaving, int]]:
    from aiosmtpd.controller import Controller

    handler, port = Misbehaving(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def smtp_settings(tmp_path: Path, db_url: str, server: tuple[Misbehaving, int]) -> Settings:
    return make_settings(tmp_path, db_url, smtp={"host": "127.0.0.1", "port": server[1], "starttls": False,
                                                  "timeout_seconds": 1.0},
                         outbox={"sending_timeout_seconds": 2})


def queue_acks(settings: Settings, engine: Engine, *senders: str) -> None:
    runner = Runner(settings, engine)
    for sender in senders:
        runner.process(build_mail(sender=sender, subject=f"Printer fra {sender}"), "t", now=NOW)


def rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_drop_after_the_message_was_handed_over_is_uncertain_and_never_sent_again(
    smtp_settings: Settings, engine: Engine, server: tuple[Misbehaving, int]
) -> None:
    handler, _ = server
    queue_acks(smtp_settings, engine, "lone@bageriet-soerensen.dk")
    handler.drop_after_data = 1

    first = flush_outbox(smtp_settings, engine, now=NOW)

    [row] = rows(engine)
    assert (first.uncertain, first.sent, first.retrying, first.failed) == (1, 0, 0, 0)
    assert (row.status, row.attempts, row.sent_at) == ("uncertain", 1, None)
    assert "no reply" in str(row.last_error)
    assert len(handler.received) == 1  # the server has it: the customer may well have it

    for moment in LATER:  # however often the outbox runs, nothing goes out again
        again = flush_outbox(smtp_settings, engine, now=moment)
        assert (again.sent, again.uncertain, again.retrying) == (0, 0, 0)
    assert len(handler.received) == 1 and rows(engine)[0].status == "uncertain"


def test_a_drop_before_the_message_was_handed_over_is_retried_and_delivered_once(
    smtp_settings: Settings, engine: Engine, server: tuple[Misbehaving, int]
) -> None:
    handler, _ = server
    queue_acks(smtp_settings, engine, "lone@bageriet-soerensen.dk")
    handler.drop_at_rcpt = 1

    first = flush_outbox(smtp_settings, engine, now=NOW)

    [row] = rows(engine)
    assert (first.retrying, first.uncertain, row.status, row.attempts) == (1, 0, "queued", 1)
    assert handler.received == []
    assert row.next_attempt_at == NOW + timedelta(seconds=smtp_settings.outbox.backoff_seconds)

    later = flush_outbox(smtp_settings, engine, now=row.next_attempt_at)
    assert later.sent == 1 and rows(engine)[0].status == "sent"
    flush_outbox(smtp_settings, engine, now=row.next_attempt_at + timedelta(hours=1))
    assert [rcpts for rcpts, _ in handler.received] == [["lone@bageriet-soerensen.dk"]]


def test_no_reply_within_the_wait_is_uncertain(
    smtp_settings: Settings, engine: Engine, server: tuple[Misbehaving, int]
) -> None:
    handler, _ = server
    queue_acks(smtp_settings, engine, "lone@bageriet-soerensen.dk")
    handler.slow_reply_seconds = 3  # longer than the wait (half of sending_timeout_seconds = 1 s)

    summary = flush_outbox(smtp_settings, engine, now=NOW)

    assert summary.uncertain == 1 and rows(engine)[0].status == "uncertain"
    handler.slow_reply_seconds = 0
    assert flush_outbox(smtp_settings, engine, now=LATER[-1]).sent == 0
    assert len(handler.received) == 1


def test_a_refused_recipient_fails_and_the_next_row_still_goes_out(
    smtp_settings: Settings, engine: Engine, server: tuple[Misbehaving, int]
) -> None:
    handler, _ = server
    queue_acks(smtp_settings, engine, "lone@bageriet-soerensen.dk", "mette@tandlaegerne-aaen.dk")
    handler.refuse_rcpt = {"lone@bageriet-soerensen.dk"}

    summary = flush_outbox(smtp_settings, engine, now=NOW)

    assert (summary.failed, summary.sent) == (1, 1)
    assert [row.status for row in rows(engine)] == ["failed", "sent"]
    assert "550" in str(rows(engine)[0].last_error)
    assert [rcpts for rcpts, _ in handler.received] == [["mette@tandlaegerne-aaen.dk"]]


def test_the_message_is_sent_as_rendered_with_leading_dots_kept(
    smtp_settings: Settings, engine: Engine, server: tuple[Misbehaving, int]
) -> None:
    handler, _ = server
    queue_acks(smtp_settings, engine, "lone@bageriet-soerensen.dk")
    with Session(engine) as session, session.begin():  # a line that is a lone "." must not end the message
        row = session.scalars(select(OutboxMessage)).one()
        row.body = row.body.replace(b"\r\n\r\n", b"\r\n\r\n.\r\n..two\r\n", 1)
        body = row.body

    assert flush_outbox(smtp_settings, engine, now=NOW).sent == 1
    [(_, content)] = handler.received
    assert content.replace(b"\r\n", b"\n").rstrip(b"\n") == body.replace(b"\r\n", b"\n").rstrip(b"\n")


def test_staff_can_send_an_uncertain_mail_again_with_the_same_message_id(
    smtp_settings: Settings, engine: Engine, server: tuple[Misbehaving, int]
) -> None:
    from email import message_from_bytes

    from inbox_worker.features.outbox.desk import retry

    handler, _ = server
    queue_acks(smtp_settings, engine, "lone@bageriet-soerensen.dk")
    handler.drop_after_data = 1
    flush_outbox(smtp_settings, engine, now=NOW)
    [row] = rows(engine)

    with Session(engine) as session, session.begin():  # the recipient says it never came
        retry(session, [row.id], "JH", LATER[0])
    assert flush_outbox(smtp_settings, engine, now=LATER[0]).sent == 1
    assert flush_outbox(smtp_settings, engine, now=LATER[-1]).sent == 0

    first, second = (message_from_bytes(content) for _, content in handler.received)
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert rows(engine)[0].status == "sent"
