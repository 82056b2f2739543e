"""The failed-sends desk on the command line: `outbox list`, `outbox retry`, `outbox cancel`, against a real aiosmtpd."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AuditEntry, OutboxMessage
from tests.conftest import CliResult, SmtpCapture, write_config
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path, smtp_settings: Settings, engine: Engine, cli: Any) -> Any:
    """`inbox-worker outbox ...` with a config pointing at the real SMTP server."""
    config = write_config(tmp_path, smtp_settings)
    return lambda *args: cli("outbox", *args, config=config)


def queue_ack(settings: Settings, engine: Engine, sender: str = "lone@bageriet-soerensen.dk") -> int:
    Runner(settings, engine).process(build_mail(sender=sender), "t", now=NOW)
    with Session(engine) as session:
        return int(session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient == sender)).one())


def row(engine: Engine, row_id: int) -> OutboxMessage:
    with Session(engine) as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def audit(engine: Engine) -> list[tuple[str, str, dict[str, Any]]]:
    with Session(engine) as session:
        return [(e.actor, e.action, e.details) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_refused_mail_is_retried_from_the_desk_and_then_sent_exactly_once(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture, desk: Any
) -> None:
    row_id = queue_ack(smtp_settings, engine)
    smtp_server.refuse_with = "550 5.7.1 message refused"
    assert flush_outbox(smtp_settings, engine, now=NOW).failed == 1

    listing: CliResult = desk("list")
    assert listing.code == 0
    header, _, line, *_ = listing.out.splitlines()
    assert header.split()[:4] == ["id", "type", "modtager", "emne"] and "sidste fejl" in header and "forsøg" in header
    assert line.split()[:3] == [str(row_id), "Kvittering", "lone@bageriet-soerensen.dk"]
    assert " Fejlet " in line and "afviste mailen for godt (message refused: 550 5.7.1" in line
    [item] = desk("list", "--json", "--status", "failed").json_lines()
    assert (item["id"], item["status"], item["attempts"], item["recipient"]) == (row_id, "failed", 1,
                                                                                "lone@bageriet-soerensen.dk")
    assert {"kind", "subject", "last_error", "created", "last_attempt", "next_attempt", "sent", "message_id",
            "ticket"} <= set(item)

    smtp_server.refuse_with = None
    retried = desk("retry", str(row_id), "--by", "JH")
    assert retried.code == 0 and f"udbakke {row_id}: lagt i kø igen" in retried.out
    assert (row(engine, row_id).status, row(engine, row_id).attempts) == ("queued", 0)

    assert flush_outbox(smtp_settings, engine).sent == 1  # the command queued it for now, on the real clock
    assert flush_outbox(smtp_settings, engine, now=datetime.now(UTC) + timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 1 and row(engine, row_id).status == "sent"
    [(actor, action, details)] = audit(engine)
    assert (actor, action, details["outbox"], details["was"], details["attempts"]) == ("JH", "outbox-retry", row_id,
                                                                                       "failed", 1)
    assert "550" in details["last_error"]
    assert desk("list").out.splitlines()[-1] == "0 mails i udbakken"  # sent rows are not listed by default
    assert [r["id"] for r in desk("list", "--json", "--status", "sent").json_lines()] == [row_id]


def test_mail_that_ran_out_of_attempts_while_smtp_was_down_goes_out_once_after_a_retry(
    tmp_path: Path, smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture, cli: Any
) -> None:
    settings = replace(smtp_settings, outbox=replace(smtp_settings.outbox, max_attempts=2, backoff_seconds=1))
    row_id = queue_ack(settings, engine)
    smtp_server.refuse_with = "421 4.3.2 service not available"
    flush_outbox(settings, engine, now=NOW)
    flush_outbox(settings, engine, now=NOW + timedelta(minutes=1))
    assert (row(engine, row_id).status, row(engine, row_id).attempts) == ("failed", 2)

    smtp_server.refuse_with = None
    assert cli("outbox", "retry", f"#{row_id}", "--by", "KB", config=write_config(tmp_path, settings)).code == 0
    assert flush_outbox(settings, engine).sent == 1
    assert flush_outbox(settings, engine, now=datetime.now(UTC) + timedelta(hours=2)).sent == 0
    assert len(smtp_server.messages) == 1


def test_a_sent_mail_is_never_retried_nor_cancelled(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture, desk: Any
) -> None:
    row_id = queue_ack(smtp_settings, engine)
    flush_outbox(smtp_settings, engine, now=NOW)

    for action in ("retry", "cancel"):
        result = desk(action, str(row_id), "--by", "JH")
        assert result.code != 0 and result.out == ""
        [line] = result.err.splitlines()
        assert f"udbakke {row_id} (sent) blev sendt 20.11.2026 11:30" in line
    assert row(engine, row_id).status == "sent" and audit(engine) == []
    assert flush_outbox(smtp_settings, engine, now=NOW + timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(("ids", "says"), [
    (["abc"], "'abc' er ikke et udbakke-id"),
    (["999999"], "udbakke 999999 findes ikke"),
    (["{row}", "999999"], "udbakke 999999 findes ikke"),  # all or nothing: the good one is not changed either
])
def test_bad_ids_are_refused_with_one_line_and_change_nothing(
    smtp_settings: Settings, engine: Engine, desk: Any, ids: list[str], says: str
) -> None:
    row_id = queue_ack(smtp_settings, engine)
    args = [text.format(row=row_id) for text in ids]

    for action in ("retry", "cancel"):
        result = desk(action, *args, "--by", "JH")
        assert result.code != 0
        [line] = result.err.splitlines()
        assert says in line
    assert row(engine, row_id).status == "queued" and audit(engine) == []


def test_a_cancelled_mail_is_never_sent_and_says_who_cancelled_it(
    smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture, desk: Any
) -> None:
    row_id = queue_ack(smtp_settings, engine)
    other = queue_ack(smtp_settings, engine, "mette@tandlaegerne-aaen.dk")

    result = desk("cancel", str(row_id), "--by", "JH")
    assert result.code == 0 and f"udbakke {row_id}: annulleret (var queued)" in result.out
    assert "allerede annulleret" in desk("cancel", str(row_id), "--by", "JH").out

    assert flush_outbox(smtp_settings, engine, now=NOW).sent == 1
    assert [rcpts for _, rcpts in smtp_server.envelopes] == [["mette@tandlaegerne-aaen.dk"]]
    [item] = desk("list", "--json", "--status", "cancelled").json_lines()
    assert (item["id"], item["cancelled_by"]) == (row_id, "JH") and item["cancelled_at"]
    assert "annulleret af JH" in desk("list").out
    refused = desk("retry", str(row_id), "--by", "JH")
    assert refused.code != 0 and "er annulleret og sendes ikke" in refused.err
    assert [action for _, action, _ in audit(engine)] == ["outbox-cancel"]
    assert row(engine, other).status == "sent"


def test_a_mail_being_sent_is_left_alone(smtp_settings: Settings, engine: Engine, desk: Any) -> None:
    row_id = queue_ack(smtp_settings, engine)
    with Session(engine) as session, session.begin():  # a flush has claimed it
        claimed = session.get(OutboxMessage, row_id)
        assert claimed is not None
        claimed.status, claimed.claimed_at = "sending", datetime.now(UTC)

    for action in ("retry", "cancel"):
        result = desk(action, str(row_id), "--by", "JH")
        assert result.code != 0 and "sendes netop nu" in result.err and len(result.err.splitlines()) == 1
    assert row(engine, row_id).status == "sending" and audit(engine) == []
