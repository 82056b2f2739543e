"""The way back from quarantine (issue 12, item 5): after the cause is fixed, nothing has to be fetched again.

A full or unwritable attachments folder quarantines the mails that carry attachments; `quarantine
reprocess` runs their stored bytes through today's code once the folder is fixed, and they become
tickets with acknowledgements, exactly once, with the quarantine kept in their history.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.quarantine.desk import reprocess
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AuditEntry, OutboxMessage, Ticket
from tests.conftest import FIXTURES, SmtpCapture, write_config

WITH_ATTACHMENTS = [FIXTURES / "mail" / "copies" / "original.eml",
                    FIXTURES / "mail" / "attachment-rfc2231-filename.eml"]
WITHOUT = FIXTURES / "mail" / "plain-danish-utf8-qp.eml"


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _block_attachments(settings: Settings) -> Path:
    folder = Path(settings.storage.attachments_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the attachments folder should be: every save fails")
    return folder


def test_reprocess_after_the_attachment_folder_is_fixed_makes_tickets_and_acks_exactly_once(
        smtp_settings: Settings, engine: Engine, cli: Any, smtp_server: SmtpCapture, tmp_path: Path) -> None:
    folder = _block_attachments(smtp_settings)
    (tmp_path / "with-smtp").mkdir()
    config = write_config(tmp_path / "with-smtp", smtp_settings)
    ingested = cli("ingest", "--json", *map(str, WITH_ATTACHMENTS), str(WITHOUT))
    assert ingested.code == 0, ingested.err
    assert [d["outcome"] for d in ingested.json_lines()] == ["quarantined", "quarantined", "new_ticket"]

    listed = cli("quarantine", "list", "--json")
    assert listed.code == 0 and [m["rule"] for m in listed.json_lines()] == ["unexpected-error"] * 2
    ids = [str(m["id"]) for m in listed.json_lines()]
    assert cli("quarantine", "list", "--reason", "truncated-mime").out.startswith("0 mails i karantæne med årsagen 'truncated-mime'")

    still_broken = cli("quarantine", "reprocess", "--all", "--by", "JH")  # the cause is not fixed yet
    assert still_broken.code == 0 and still_broken.out.count("behandlet igen: I karantæne") == 2
    assert len(cli("quarantine", "list", "--json").json_lines()) == 2

    folder.unlink()  # the cause is fixed
    fixed = cli("quarantine", "reprocess", *ids, "--by", "JH")
    assert fixed.code == 0, fixed.err
    assert fixed.out.count("behandlet igen: Ny sag #") == 2 and "kvittering sendes" in fixed.out
    assert cli("quarantine", "list", "--json").json_lines() == []
    assert _count(engine, Ticket) == 3

    again = cli("quarantine", "reprocess", ids[0], "--by", "JH")
    assert again.code == 1 and "ikke i karantæne" in again.out
    assert _count(engine, Ticket) == 3

    flushed = cli("outbox", "flush", config=config)
    assert flushed.code == 0 and cli("outbox", "flush", config=config).code == 0, flushed.out + flushed.err
    recipients = sorted(to for _, tos in smtp_server.envelopes for to in tos)
    assert len(recipients) == 3 and _count(engine, OutboxMessage) == 3, flushed.out  # one ack per ticket, once

    shown = cli("quarantine", "show", ids[0])
    assert shown.code == 0 and shown.out.count("I karantæne") == 2 and "Ny sag" in shown.out
    assert "Message-ID: <kasse-42@bageriet-soerensen.dk>" in shown.out
    with Session(engine) as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "JH")).all()
    assert actions.count("quarantine-reprocess") == 4


def test_two_staff_taking_back_the_same_mail_at_once_make_one_ticket(settings: Settings, engine: Engine,
                                                                     cli: Any) -> None:
    folder = _block_attachments(settings)
    assert cli("ingest", str(WITH_ATTACHMENTS[0])).code == 0
    raw_id = cli("quarantine", "list", "--json").json_lines()[0]["id"]
    folder.unlink()

    results: list[Any] = []
    start = threading.Barrier(2)

    def take_back(actor: str) -> None:
        runner = Runner(settings, engine)
        start.wait()
        results.extend(reprocess(runner, [raw_id], actor))

    threads = [threading.Thread(target=take_back, args=(who,)) for who in ("JH", "MK")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    outcomes = sorted(str(r.decision.outcome) for r in results)
    assert outcomes == ["duplicate", "new_ticket"]
    assert _count(engine, Ticket) == 1 and _count(engine, OutboxMessage) == 1


def test_bad_reprocess_lines_are_one_clear_line(settings: Settings, engine: Engine, cli: Any) -> None:
    neither = cli("quarantine", "reprocess")
    assert neither.code == 2 and "ID" in neither.err and "Traceback" not in neither.err
    unknown = cli("quarantine", "reprocess", "4242")
    assert unknown.code == 1 and "ingen gemt mail med id 4242" in unknown.out
    missing = cli("quarantine", "show", "4242")
    assert missing.code == 2 and "ingen gemt mail med id 4242" in missing.err
