"""The write transaction holds only reads and writes (issue 12, item 6): parse, decide and render come before it.

A large mail once held SQLite's write lock for 42 s while its words were scanned, and a staff POST
got HTTP 500. Mail is now parsed and decided in a transaction that only reads; the write transaction
reads each context again and takes the decision made before when nothing changed. These tests look
from a second connection, at the moment the pipeline runs, whether the write lock is free, and make
another writer change the world between deciding and writing.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail import runner as runner_module
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.runner import Runner
from inbox_worker.store.db import sqlite_path
from inbox_worker.store.models import Ticket
from tests.conftest import FIXTURES
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TICKET_NUMBERS_LOCK = 4711_0001  # store/apply.py: the transactions that write mail take turns on it


def _write_lock_is_free(settings: Settings) -> bool:
    """Can another connection take the write turn right now, without waiting?"""
    path = sqlite_path(settings.database.url)
    if path is not None:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    engine = create_engine(settings.database.url)
    try:
        with engine.begin() as connection:
            return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                           {"key": TICKET_NUMBERS_LOCK}).scalar())
    finally:
        engine.dispose()


def _mails() -> list[IncomingMail]:
    large = build_mail(subject="Serveren er langsom", message_id="<large@bageriet-soerensen.dk>",
                       body="Hej\n\n" + "Serveren er meget langsom i dag og printeren virker ikke. " * 40_000)
    files = [FIXTURES / "mail" / "plain-danish-utf8-qp.eml", FIXTURES / "mail" / "copies" / "original.eml"]
    return [IncomingMail(path.read_bytes(), str(path)) for path in files] + [IncomingMail(large, "large")]


def test_mail_is_parsed_and_decided_while_nobody_holds_the_write_lock(settings: Settings, engine: Engine,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, bool]] = []
    real_decide, real_parse = runner_module.decide, runner_module.parse_safely

    def decide(*args: Any, **kwargs: Any) -> Any:
        seen.append(("decide", _write_lock_is_free(settings)))
        return real_decide(*args, **kwargs)

    def parse(raw: bytes) -> Any:
        seen.append(("parse", _write_lock_is_free(settings)))
        return real_parse(raw)

    monkeypatch.setattr(runner_module, "decide", decide)
    monkeypatch.setattr(runner_module, "parse_safely", parse)
    runner = Runner(settings, engine)
    decisions = runner.process_batch(_mails(), NOW)

    assert [str(d.outcome) for d in decisions] == ["new_ticket"] * 3
    assert [what for what, _ in seen] == ["parse"] * 3 + ["decide"] * 3  # each once: nothing decided again
    assert all(free for _, free in seen), seen
    assert runner.decided_again == 0 and runner.longest_write_ms > 0


def test_a_writer_between_deciding_and_writing_makes_the_mail_be_decided_again(settings: Settings,
                                                                               engine: Engine) -> None:
    """Someone opens a ticket after the batch was decided: its new ticket gets the next number, not a taken one."""

    class Interrupted(Runner):
        def _prepare(self, items: Any, now: datetime) -> Any:
            prepared = super()._prepare(items, now)
            other = Runner(self.settings, engine)  # another writer, e.g. a second worker or the web UI
            other.process(build_mail(subject="Internettet er nede", message_id="<between@bageriet-soerensen.dk>"),
                          "meanwhile", now=now)
            return prepared

    runner = Interrupted(settings, engine)
    [decision] = runner.process_batch([IncomingMail((FIXTURES / "mail" / "plain-danish-utf8-qp.eml").read_bytes(),
                                                    "batch")], NOW)

    assert runner.decided_again == 1
    assert decision.outcome == "new_ticket" and decision.ticket == 2
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
        assert session.get(Ticket, 2).subject == "Printeren på 1. sal virker ikke"  # type: ignore[union-attr]
