"""A quarantine reprocess racing a poll that fetches a copy of the same mail: one ticket, one ack."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.quarantine.desk import reprocess
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.runner import Runner
from inbox_worker.store import apply as writes
from inbox_worker.store.models import OutboxMessage, RawMessage, Ticket
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ORIGINAL = FIXTURES / "mail" / "copies" / "original.eml"
COPY = FIXTURES / "mail" / "copies" / "redelivered-other-route.eml"


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_poll_fetching_a_copy_while_staff_reprocess_the_quarantined_mail_makes_one_ticket(
        settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff take back a quarantined mail; meanwhile a poll fetches a second delivery of it.

    Whatever the interleaving, one mail must make one ticket and one ack. On PostgreSQL the poll's
    store (store/raw.store_raws) supersedes the quarantined row without any lock or state check
    (_RELEASE/_SUPERSEDE update by id only), while the reprocess transaction has already claimed it
    (_CLAIM_AGAIN locks no row: the quarantined row does not match its WHERE); both then process it.
    """
    folder = Path(settings.storage.attachments_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")  # every attachment save fails: the mail is quarantined
    first = Runner(settings, engine).process(ORIGINAL.read_bytes(), "imap:INBOX", 1, now=NOW)
    assert first["outcome"] == "quarantined"
    folder.unlink()
    with Session(engine) as session:
        raw_id = session.scalar(select(RawMessage.id))

    in_write, go = threading.Event(), threading.Event()
    real_apply = writes.apply

    def slow_apply(*args: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == "staff":
            in_write.set()
            go.wait(30)
        real_apply(*args, **kwargs)

    monkeypatch.setattr(writes, "apply", slow_apply)
    results: dict[str, Any] = {}
    staff_runner, poll_runner = Runner(settings, engine), Runner(settings, engine)

    def staff() -> None:
        results["staff"] = reprocess(staff_runner, [raw_id], "JH", NOW + timedelta(minutes=10))

    def poll() -> None:
        results["poll"] = poll_runner.process_batch([IncomingMail(COPY.read_bytes(), "imap:INBOX", 2)],
                                                    NOW + timedelta(minutes=10))

    staff_thread = threading.Thread(target=staff, name="staff")
    staff_thread.start()
    assert in_write.wait(30)
    poll_thread = threading.Thread(target=poll, name="poll")
    poll_thread.start()
    time.sleep(1.5)  # the poll stores its copy (PostgreSQL), or waits for the write lock (SQLite)
    go.set()
    staff_thread.join(60)
    poll_thread.join(60)

    outcomes = sorted([str(results["staff"][0].decision.outcome), str(results["poll"][0].outcome)])
    assert (_count(engine, Ticket), _count(engine, OutboxMessage)) == (1, 1), outcomes
    assert outcomes == ["duplicate", "new_ticket"]
