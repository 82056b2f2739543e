"""`explain` is what ingest stores, for hostile and real-world broken mail too, and for mail over the size limit.

The hostile set once made `explain` die with a RecursionError where ingest quarantined; the size
limit (`[mailbox] max_message_mb`) once applied to IMAP only, so `ingest` read a mail of any size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.mail.explain import explain
from inbox_worker.mail.ingest import ingest_paths
from inbox_worker.mail.runner import Runner
from inbox_worker.store.db import make_engine, migrate
from inbox_worker.store.models import DecisionLog, RawBlob, RawMessage
from inbox_worker.store.registry_import import import_registry
from tests.conftest import DEMO, MAIL, make_settings
from tests.integration.test_explain_equals_ingest import NOW, _as_stored, _explain_then_ingest, _prepared


def test_explain_equals_what_ingest_stores_for_hostile_and_real_world_mail(tmp_path: Path, db_url: str) -> None:
    settings, engine = _prepared(tmp_path, db_url, DEMO / "registry.toml")
    runner = Runner(settings, engine)
    files = sorted((MAIL / "hostile").glob("*.eml")) + sorted((MAIL / "realworld").glob("*.eml"))

    decisions = {path.name: _explain_then_ingest(settings, engine, runner, path, NOW) for path in files}

    assert decisions["from-50000-open-parens.eml"]["rule"] == "no-sender"
    assert decisions["multipart-nested-300-deep.eml"]["rule"] == "unparseable"
    assert decisions["charset-with-nul-cp1252.eml"]["outcome"] == "new_ticket"
    broken = {name for name, d in decisions.items() if d["outcome"] == "quarantined"}
    assert broken == {"from-50000-open-parens.eml", "multipart-nested-300-deep.eml"}
    engine.dispose()


def _big_mail(path: Path, mb: float) -> bytes:
    head = (b"From: Lone <lone@bageriet-soerensen.dk>\r\nTo: support@mico.dk\r\nSubject: Logfiler\r\n"
            b"Message-ID: <big-file@bageriet-soerensen.dk>\r\nDate: Thu, 26 Nov 2026 10:02:05 +0100\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n")
    path.write_bytes(head + b"logline\r\n" * int(mb * 1024 * 1024 / 9))
    return head


def test_ingest_quarantines_a_file_over_max_message_mb_storing_only_its_headers_as_imap_does(tmp_path: Path,
                                                                                           db_url: str) -> None:
    settings = make_settings(tmp_path, db_url, mailbox={"max_message_mb": 1.0})
    engine = make_engine(settings.database.url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO / "registry.toml")
    folder = tmp_path / "inbox"
    folder.mkdir()
    head = _big_mail(folder / "big.eml", 1.5)
    (folder / "small.eml").write_bytes(head.replace(b"big-file", b"small-file") + b"Hej, her er en lille mail.\r\n")
    explained = _as_stored(explain(settings, str(folder / "big.eml"), now=NOW))
    trace = explained.pop("trace")

    seen: dict[str, dict[str, Any]] = {}
    ingest_paths(Runner(settings, engine), [str(folder)], lambda source, decision: seen.update({source: decision}))

    assert explained == _as_stored(seen[f"file:{folder / 'big.eml'}"])
    assert (explained["outcome"], explained["rule"]) == ("quarantined", "too-large")
    assert "1.5 MB, over grænsen på 1 MB" in explained["reason"] and "big.eml" in explained["reason"]
    assert seen[f"file:{folder / 'small.eml'}"]["outcome"] == "new_ticket"
    with Session(engine) as session:
        row = session.execute(select(RawBlob.raw, DecisionLog.trace)
                              .join(RawMessage, RawMessage.id == RawBlob.raw_message_id)
                              .join(DecisionLog, DecisionLog.raw_message_id == RawMessage.id)
                              .where(RawMessage.source == f"file:{folder / 'big.eml'}")).one()
    assert bytes(row.raw) == head  # the header block with its blank line: the body stays in the file
    assert row.trace == trace
    engine.dispose()
