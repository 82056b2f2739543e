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
    # The clocks, in explain as in ingest: started, recomputed by the raise, unchanged, none for automatic mail,
    # started again by the reopen.
    assert (opened["response"]["rule"], opened["response"]["events"]) == ("response-high", ["started"])
    assert (raised["response"]["rule"], raised["response"]["events"]) == ("response-emergency", ["recomputed"])
    assert again["response"]["events"] == [] and "response" not in auto
    assert reopened["response"]["events"] == ["reopened"]
    rules = [{e["rule"] for e in _stored(engine, str(path))[1]} for path in (raised_path, again_path, reopen_path)]
    assert {"ticket-raised", "oncall-outside-hours"} <= rules[0]
    assert "oncall-already-notified" in rules[1] and "ticket-raised" not in rules[1]
    assert "oncall-already-notified" in rules[2]
    with Session(engine) as session:
        ticket = session.get(Ticket, opened["ticket"])
        assert ticket is not None and ticket.priority == "emergency" and "emergency" in ticket.review
    engine.dispose()


def test_explain_equals_ingest_as_the_clocks_move_and_shows_the_due_moments(tmp_path: Path, db_url: str) -> None:
    """Waiting (staff), the customer's answer (resumes), a colleague's own mail (first response), a raise
    (recomputes), closed (staff) and a reply (reopens): explain prints what ingest then stores, each time."""
    from zoneinfo import ZoneInfo

    from inbox_worker.features.tickets.clocks import ClockSetup
    from inbox_worker.features.tickets.edit import set_field

    settings, engine = _prepared(tmp_path, db_url, DEMO / "registry.toml")
    runner, setup = Runner(settings, engine), ClockSetup.from_settings(settings)

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 12, day, hour, tzinfo=ZoneInfo("Europe/Copenhagen")).astimezone(UTC)

    def staff_sets(number: int, field: str, value: str, moment: datetime) -> None:
        with Session(engine) as session, session.begin():
            ticket = session.get(Ticket, number)
            assert ticket is not None
            set_field(session, ticket, field, value, "JH", moment, setup)

    def mail(name: str, moment: datetime, body: str, sender: str = "lone@bageriet-soerensen.dk") -> dict[str, Any]:
        path = _write(tmp_path, name, build_mail(sender=sender, subject="Sv: Printeren virker ikke", body=body,
                                                 in_reply_to="<c1@bageriet-soerensen.dk>"))
        return _explain_then_ingest(settings, engine, runner, path, moment)

    opened = _explain_then_ingest(settings, engine, runner, _write(tmp_path, "c1.eml", build_mail(
        message_id="<c1@bageriet-soerensen.dk>")), at(1, 9))
    number = opened["ticket"]
    staff_sets(number, "status", "waiting", at(1, 10))
    resumed = mail("c2.eml", at(2, 10), "Hej\n\nDen er tændt nu.\n\nLone")
    colleague = mail("c3.eml", at(2, 11), "Hej Lone\n\nVi kommer i morgen.\n\nJens", sender="jh@mico.dk")
    raised = mail("c4.eml", at(2, 12), "Nu er serveren helt nede og ingen kan arbejde.\n\nLone")
    staff_sets(number, "status", "closed", at(2, 13))
    reopened = mail("c5.eml", at(3, 9), "Hej\n\nDen driller igen.\n\nLone")

    assert [d["response"]["events"] for d in (opened, resumed, colleague, raised, reopened)] == [
        ["started"], ["resumed"], ["first-response"], ["recomputed"], ["reopened"]]
    assert (opened["response"]["first_response_due"], opened["response"]["resolution_due"]) == (
        at(1, 13).isoformat(), at(3, 16).isoformat())
    assert resumed["response"]["resolution_due"] == at(4, 16).isoformat()  # 7 working hours waited
    trace = _stored(engine, str(tmp_path / "c1.eml"))[1]
    [started] = [entry for entry in trace if entry["stage"] == "response"]
    assert started["rule"] == "response-normal"
    assert "Første svar senest tir. 1.12. kl. 13:00, løst senest tor. 3.12. kl. 16:00" in started["reason"]
    assert started["details"]["first_response_due"] == at(1, 13).isoformat()
    engine.dispose()


def _hostile_and_busy(tmp_path: Path) -> list[Path]:
    """Mails whose decision depends on the ones before them in the same batch, and mails a database may refuse."""
    storm = "storm@bageriet-soerensen.dk"  # a sender of its own: nothing else in the run is acknowledged to it
    raws = [build_mail(sender=storm, subject=f"Fejl {i}", body=f"Hej\n\nSkærm nummer {i} er sort.\n\nMvh Lone",
                       message_id=f"<storm{i}@bageriet-soerensen.dk>", date=f"Fri, 27 Nov 2026 10:0{i}:00 +0100")
            for i in range(4)]  # a storm: the fourth ack is suppressed
    # Dated ten hours later, arriving with the rest: the Date header, which the sender writes, does not count.
    raws.append(build_mail(sender=storm, subject="Fejl sent", body="Hej\n\nMusen virker ikke.\n\nMvh Lone",
                           message_id="<storm-late@bageriet-soerensen.dk>", date="Fri, 27 Nov 2026 20:00:00 +0100"))
    raws += [build_mail(subject=f"Servicebesøg {i}", body="Hej, vi vil gerne booke et servicebesøg.\n\nMvh Lone",
                        message_id=f"<visit{i}@bageriet-soerensen.dk>", date="Wed, 31 Dec 2025 15:00:00 +0100")
             for i in range(3)]  # dated last year, opened this year: they count in this year
    raws.append(build_mail(subject="Printeren " + "x" * 1100, message_id="<long-subject@bageriet-soerensen.dk>"))
    raws.append(build_mail(sender="a" * 330 + "@bageriet-soerensen.dk", subject="Lang afsender"))
    raws.append(build_mail(subject="Lang Message-ID", message_id="<" + "m" * 1200 + "@bageriet-soerensen.dk>"))
    raws.append(build_mail(sender=storm, subject="Sv: Fejl 0", in_reply_to="<storm0@bageriet-soerensen.dk>",
                           message_id="<storm-reply@bageriet-soerensen.dk>", body="Nu er serveren helt nede og "
                           "ingen kan arbejde.\n\nMvh Lone", date="Fri, 27 Nov 2026 10:30:00 +0100"))
    return [_write(tmp_path, f"busy-{i:02d}.eml", raw) for i, raw in enumerate(raws)]


def _second_database(tmp_path: Path, db_url: str) -> str:
    """Another empty database for the same test: a second SQLite file, or the PostgreSQL schema anew."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'second.db'}"
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return db_url


def test_batches_read_ahead_by_the_parse_pool_store_what_one_mail_at_a_time_stores(tmp_path: Path,
                                                                                   db_url: str) -> None:
    """The production path (batches, parsed ahead in a worker process) against explain-then-ingest, mail by mail."""
    from inbox_worker.mail.batching import ParsePool, chunks
    from inbox_worker.mail.incoming import IncomingMail

    demo = sorted((DEMO / "inbox").glob("*.eml"))
    files = demo[:12] + _hostile_and_busy(tmp_path) + demo[12:]
    settings, engine = _prepared(tmp_path / "one", db_url, DEMO / "registry.toml")
    expected = [_explain_then_ingest(settings, engine, Runner(settings, engine), path, NOW) for path in files]
    traces = [_stored(engine, str(path))[1] for path in files]
    engine.dispose()

    settings, engine = _prepared(tmp_path / "batched", _second_database(tmp_path, db_url), DEMO / "registry.toml")
    runner, pool = Runner(settings, engine), ParsePool()
    try:
        mails = (IncomingMail(path.read_bytes(), str(path)) for path in files)
        found = [d for _, decisions in runner.run(chunks(mails, 10), pool, now=NOW) for d in decisions]
    finally:
        pool.close()

    assert [_as_stored(d.as_json()) for d in found] == expected
    assert [_stored(engine, str(path))[1] for path in files] == traces
    storm = [d for d in expected if (d["subject"] or "").startswith("Fejl")]
    assert [d["ack"] for d in storm] == ["queued"] * 3 + ["suppressed", "suppressed"]
    visits = [d["coverage"]["rule"] for d in expected if (d["subject"] or "").startswith("Servicebesøg")]
    assert visits[-1] == "service-visit-extra"  # three new visits in one year: the third is beyond the two
    long_subject = next(d for d in expected if (d["subject"] or "").startswith("Printeren xxx"))
    assert long_subject["outcome"] == "new_ticket" and len(long_subject["subject"]) == 1000
    engine.dispose()


def test_a_mail_whose_answer_cannot_be_rendered_is_quarantined_by_explain_as_by_ingest(tmp_path: Path,
                                                                                     db_url: str) -> None:
    import shutil

    from tests.conftest import ROOT

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "inbox_worker" / "templates", templates)
    ack = templates / "ack" / "ack.da.txt.j2"
    ack.write_text(ack.read_text(encoding="utf-8") + "{{ no_such_value }}\n", encoding="utf-8")  # a staff typo
    settings = make_settings(tmp_path, db_url, paths={"templates": str(templates)})
    engine = make_engine(settings.database.url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO / "registry.toml")
    path = _write(tmp_path, "m.eml", build_mail())

    decision = _explain_then_ingest(settings, engine, Runner(settings, engine), path, NOW)

    assert decision["outcome"] == "quarantined" and decision["rule"] == "unexpected-error"
    assert "no_such_value" in decision["reason"]
    engine.dispose()


def test_a_rules_edit_takes_effect_in_the_next_cycle_as_in_explain(tmp_path: Path, db_url: str,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    import re
    import shutil

    from tests.conftest import ROOT

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "inbox_worker" / "rules", rules)
    settings = make_settings(tmp_path, db_url, paths={"rules": str(rules)})
    engine = make_engine(settings.database.url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO / "registry.toml")
    runner = Runner(settings, engine)  # as the worker: rules loaded at start
    server = DEMO / "inbox" / "07-backup-fejlet-server-langsom.eml"
    text = (rules / "priority.toml").read_text(encoding="utf-8")
    (rules / "priority.toml").write_text(re.sub(r'priority = "high"', 'priority = "normal"', text), encoding="utf-8")
    (rules / "coverage.toml").write_text("not toml [", encoding="utf-8")  # and a broken edit elsewhere

    runner.refresh()  # the next poll cycle: rules with a mistake are refused whole; the ones in force stay

    assert "rules not reloaded" in caplog.text
    (rules / "coverage.toml").write_text((ROOT / "inbox_worker" / "rules" / "coverage.toml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    runner.refresh()
    decision = _explain_then_ingest(settings, engine, runner, server, NOW)
    assert decision["priority"] == "normal"
    engine.dispose()


def test_a_reply_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(tmp_path: Path, db_url: str) -> None:
    settings, engine = _prepared(tmp_path, db_url, DEMO / "registry.toml")
    runner = Runner(settings, engine)
    first = runner.process(build_mail(subject="Printeren", message_id="<p1@bageriet-soerensen.dk>"), "1", now=NOW)
    second = runner.process(build_mail(subject="Printeren igen", message_id="<p2@bageriet-soerensen.dk>"), "2",
                            now=NOW)
    with Session(engine) as session, session.begin():
        session.execute(update(Ticket).where(Ticket.id == first["ticket"]).values(merged_into_id=second["ticket"]))
    reply = _write(tmp_path, "r.eml", build_mail(subject=f"Sv: [MICO #{first['ticket']}] Printeren",
                                                 message_id="<p3@bageriet-soerensen.dk>"))

    decision = _explain_then_ingest(settings, engine, runner, reply, NOW)

    assert (decision["outcome"], decision["ticket"]) == ("updated_ticket", second["ticket"])
    assert "merged-ticket" in {entry["rule"] for entry in _stored(engine, str(reply))[1]}
    engine.dispose()
