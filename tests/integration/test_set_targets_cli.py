"""`tickets set-targets`: staff's own response-time targets from the command line, in Danish, one line when wrong."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.cli import main
from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AuditEntry, Ticket
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)  # Friday 11:30 in Copenhagen


def test_set_targets_overrides_the_rules_and_prints_the_new_due_moments(cli: Any, settings: Settings,
                                                                       engine: Engine) -> None:
    number = Runner(settings, engine).process(build_mail(), "test", now=NOW)["ticket"]

    result = cli("tickets", "set-targets", str(number), "--first", "1:00", "--resolution", "2t", "--reason",
                 "Aftalt med Lone i telefonen", "--by", "JH")

    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"#{number}: frister sat af JH: første svar 1 t, løst 2 t (i åbningstiden)",
        "  første svar senest fre. 20.11. kl. 12:30, løst senest fre. 20.11. kl. 13:30"]
    with Session(engine) as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None and (ticket.response_rule, ticket.first_response_minutes) == ("staff-override", 60)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.ticket_id == number)).one()
    assert (audit.action, audit.actor, audit.details["reason"]) == ("set-targets", "JH", "Aftalt med Lone i telefonen")
    assert audit.details["before"]["rule"] == "response-normal"


@pytest.mark.parametrize("args, message", [
    (["--first", "en time", "--resolution", "2t"], "--first: skriv arbejdsminutter (fx 90), timer:minutter"),
    (["--first", "0", "--resolution", "2t"], "--first: skal være mellem 1 og 100000 arbejdsminutter"),
    (["--first", "3t", "--resolution", "2t"], "fristen for første svar kan ikke være længere end fristen for løsning"),
])
def test_wrong_targets_are_one_danish_line_and_change_nothing(cli: Any, settings: Settings, engine: Engine,
                                                             args: list[str], message: str) -> None:
    number = Runner(settings, engine).process(build_mail(), "test", now=NOW)["ticket"]
    result = cli("tickets", "set-targets", str(number), *args, "--reason", "x", "--by", "JH")
    assert result.code == 2 and result.err.count("\n") == 1 and message in result.err, result.err
    with Session(engine) as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None and ticket.response_rule == "response-normal"


def test_a_ticket_that_does_not_exist_is_named(cli: Any, engine: Engine) -> None:
    result = cli("tickets", "set-targets", "999", "--first", "60", "--resolution", "120", "--reason", "x",
                 "--by", "JH")
    assert (result.code, result.err.strip()) == (2, "inbox-worker: sag #999 findes ikke")


def test_the_help_shows_an_example() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["tickets", "set-targets", "--help"])
    assert "Eksempel:\n  inbox-worker tickets set-targets 1042 --first 1:00 --resolution 2t" in out.getvalue()
