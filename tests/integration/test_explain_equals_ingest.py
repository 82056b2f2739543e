"""`explain` is what happens: for every mail, processed in order, the decision and trace `explain` prints
(on the database as it stands before that mail) are the decision and trace ingest then stores.

Over the demo inbox and both scenario sets, and a conversation built to exercise what happens to an
existing ticket: a follow-up that raises it to an emergency (and calls the on-call person), a
second emergency on it (no second call), a reopen after closing, an auto-reply attached to it.
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.explain import explain
from inbox_worker.mail.runner import Runner
from inbox_worker.store.db import make_engine, migrate
from inbox_worker.store.models import DecisionLog, RawMessage, Ticket
from inbox_worker.store.registry_import import import_registry
from tests.conftest import DEMO, make_settings
from tests.mailbuilder import build_mail

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _prepared(tmp_path: Path, db_url: str, registry: Path) -> tuple[Settings, Engine]:
    settings = make_settings(tmp_path, db_url)
    engine = make_engine(settings.database.url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, registry)
    return settings, engine


def _stored(engine: Engine, source: str) -> tuple[dict[str, Any], list[Any]]:
    with Session(engine) as session:
        row = session.execute(
            select(DecisionLog.decision, DecisionLog.trace).join(RawMessage, RawMessage.id == DecisionLog.raw_message_id)
            .where(RawMessage.source == source).order_by(DecisionLog.id.desc()).limit(1)).one()
    return row.decision, row.trace


def _as_stored(value: Any) -> Any:
    """What a value looks like after a round trip through the database's JSON column."""
    return json.loads(json.dumps(value))


def _explain_then_ingest(settings: Settings, engine: Engine, runner: Runner, path: Path, now: datetime) -> dict[str, Any]:
    explained = _as_stored(explain(settings, str(path), now=now))
    returned = runner.process(path.read_bytes(), str(path), now=now)
    stored_decision, stored_trace = _stored(engine, str(path))
    trace = explained.pop("trace")
    assert explained == _as_stored(returned) == stored_decision, path.name
    assert trace == stored_trace, path.name  # every entry: stage, rule, result, reason and details
    return explained


def _scenario_files(name: str) -> list[Path]:
    with (SCENARIOS / name / "expected.toml").open("rb") as handle:
        return [SCENARIOS / name / "mail" / entry["file"] for entry in tomllib.load(handle)["mail"]]


@pytest.mark.parametrize("name", ["demo", "dispatch", "holdout"])
def test_explain_equals_what_ingest_stores_for_every_mail(tmp_path: Path, db_url: str, name: str) -> None:
    registry = DEMO / "registry.toml" if name == "demo" else SCENARIOS / name / "registry.toml"
    files = sorted((DEMO / "inbox").glob("*.eml")) if name == "demo" else _scenario_files(name)
    settings, engine = _prepared(tmp_path, db_url, registry)
    runner = Runner(settings, engine)

    decisions = [_explain_then_ingest(settings, engine, runner, path, NOW) for path in files]

    outcomes = {d["outcome"] for d in decisions}
    assert "new_ticket" in outcomes and len(decisions) == len(files)
    if name == "demo":  # the weekend emergency calls the on-call phone, in explain as in ingest
        assert "updated_ticket" in outcomes and "ignored" in outcomes
        emergency = next(d for d in decisions if d["priority"] == "emergency")
        assert emergency["ticket"] is not None
    # Explaining a mail already processed explains the duplicate ingest would make of it.
    again = _as_stored(explain(settings, str(files[0]), now=NOW))
    again.pop("trace")
    assert again == _as_stored(runner.process(files[0].read_bytes(), "again", now=NOW))
    assert again["outcome"] == "duplicate"
    engine.dispose()


def _write(tmp_path: Path, name: str, raw: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def test_explain_equals_ingest_when_a_follow_up_raises_a_ticket_and_calls_on_call(tmp_path: Path,
                                                                                 db_url: str) -> None:
    settings, engine = _prepared(tmp_path, db_url, DEMO / "registry.toml")
    runner = Runner(settings, engine)
    saturday = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)  # outside opening hours
    first = _write(tmp_path, "1.eml", build_mail(
        subject="Serveren er langsom", body="Hej, serveren BAG-SRV-01 er lidt langsom i dag.\n\nMvh Lone",
        message_id="<m1@bageriet-soerensen.dk>", date="Fri, 27 Nov 2026 10:00:00 +0100"))
    opened = _explain_then_ingest(settings, engine, runner, first, NOW)
    raised_path = _write(tmp_path, "2.eml", build_mail(
        subject="Sv: Serveren er langsom", in_reply_to="<m1@bageriet-soerensen.dk>",
        message_id="<m2@bageriet-soerensen.dk>", date="Sat, 28 Nov 2026 22:30:00 +0100",
        body="Nu er serveren helt nede og ingen kan arbejde.\n\nMvh Lone"))
    raised = _explain_then_ingest(settings, engine, runner, raised_path, saturday)
    again_path = _write(tmp_path, "3.eml", build_mail(
        subject="Sv: Serveren er langsom", in_reply_to="<m2@bageriet-soerensen.dk>",
        message_id="<m3@bageriet-soerensen.dk>", date="Sat, 28 Nov 2026 22:45:00 +0100",
        body="Serveren er stadig nede, ingen kan arbejde!\n\nMvh Lone"))
    again = _explain_then_ingest(settings, engine, runner, again_path, saturday + timedelta(minutes=15))
    auto_path = _write(tmp_path, "4.eml", build_mail(
        subject="Autosvar: Serveren er langsom", in_reply_to="<m3@bageriet-soerensen.dk>",
        message_id="<m4@bageriet-soerensen.dk>", date="Sat, 28 Nov 2026 22:46:00 +0100",
        headers={"Auto-Submitted": "auto-replied"}, body="Jeg er på ferie."))
    auto = _explain_then_ingest(settings, engine, runner, auto_path, saturday + timedelta(minutes=16))
    with Session(engine) as session, session.begin():
        session.execute(update(Ticket).where(Ticket.id == opened["ticket"]).values(
            status="closed", closed_at=saturday + timedelta(hours=1)))
    reopen_path = _write(tmp_path, "5.eml", build_mail(
        subject="Sv: Serveren er langsom", in_reply_to="<m3@bageriet-soerensen.dk>",
        message_id="<m5@bageriet-soerensen.dk>", date="Mon, 30 Nov 2026 09:30:00 +0100",
        body="Den er nede igen i dag, ingen kan arbejde.\n\nMvh Lone"))
    reopened = _explain_then_ingest(settings, engine, runner, reopen_path, saturday + timedelta(days=2))

    assert [d["outcome"] for d in (opened, raised, again, auto, reopened)] == [
        "new_ticket", "updated_ticket", "updated_ticket", "ignored", "reopened_ticket"]
    assert {d["ticket"] for d in (opened, raised, again, auto, reopened)} == {opened["ticket"]}
    assert opened["priority"] == "high" and raised["priority"] == "emergency"
    rules = [{e["rule"] for e in _stored(engine, str(path))[1]} for path in (raised_path, again_path, reopen_path)]
    assert {"ticket-raised", "oncall-outside-hours"} <= rules[0]
    assert "oncall-already-notified" in rules[1] and "ticket-raised" not in rules[1]
    assert "oncall-already-notified" in rules[2]
    with Session(engine) as session:
        ticket = session.get(Ticket, opened["ticket"])
        assert ticket is not None and ticket.priority == "emergency" and "emergency" in ticket.review
    engine.dispose()
