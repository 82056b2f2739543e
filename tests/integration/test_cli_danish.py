"""The command line a person reads (issue 13, item 8): Danish throughout, why mail waits, time typed as on the web."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.store.models import OutboxMessage, Ticket, TimeEntry
from tests.conftest import DEMO, SmtpCapture, free_port, write_config
from tests.mailbuilder import build_mail

ENGLISH_OUTCOMES = re.compile(r"\b(new_ticket|updated_ticket|ignored|quarantined|covered|billable|undetermined)\b")


def mail_file(tmp_path: Path, name: str, sender: str = "lone@bageriet-soerensen.dk") -> str:
    path = tmp_path / f"{name}.eml"
    path.write_bytes(build_mail(sender=sender, subject=f"Printeren virker ikke ({name})"))
    return str(path)


def test_demo_speaks_danish_from_the_summary_to_the_queue(cli: Any) -> None:
    result = cli("demo")

    assert result.code == 0, result.err
    summary = next(line for line in result.out.splitlines() if line.startswith("Demo-indbakke behandlet: "))
    assert re.fullmatch(r"Demo-indbakke behandlet: \d+ nye sager, 1 opdateret sag, 1 ignoreret", summary), summary
    header = next(line for line in result.out.splitlines() if line.startswith("#  "))
    assert header.split()[:3] == ["#", "status", "kunde"] and "dækning" in header
    rows = [line for line in result.out.splitlines() if line.startswith("#") and line[1].isdigit()]
    assert len(rows) >= 15 and all(" Åben " in line for line in rows)
    assert not ENGLISH_OUTCOMES.search(result.out), ENGLISH_OUTCOMES.findall(result.out)


def test_the_text_queue_shows_each_tickets_status(cli: Any, engine: Engine, tmp_path: Path) -> None:
    assert cli("ingest", mail_file(tmp_path, "a"), mail_file(tmp_path, "b", "aase@bageriet-soerensen.dk")).code == 0
    with Session(engine) as session, session.begin():
        first = min(session.scalars(select(Ticket.id)))
        session.execute(update(Ticket).where(Ticket.id == first).values(status="waiting"))

    everything = cli("tickets", "list").out.splitlines()
    waiting = cli("tickets", "list", "--status", "waiting").out.splitlines()

    assert [line.split()[1] for line in everything[2:-1]] == ["Afventer", "Åben"] and everything[-1] == "2 sager"
    assert len(waiting) == 4 and waiting[2].startswith(f"#{first}  Afventer kunde  bageriet") and waiting[-1] == "1 sag"


def test_log_time_takes_hours_and_minutes_as_the_web_form_does(cli: Any, engine: Engine, tmp_path: Path) -> None:
    ingested = cli("ingest", "--json", mail_file(tmp_path, "tid")).json_lines()
    ticket = str(ingested[0]["ticket"])

    typed = {"1:30": cli("tickets", "log-time", ticket, "1:30", "--by", "JH", "--date", "04.05.2026"),
             "1t15m": cli("tickets", "log-time", ticket, "1t15m", "--by", "JH"),
             "45": cli("tickets", "log-time", ticket, "45", "--by", "JH")}

    assert all(result.code == 0 for result in typed.values()), {k: r.err for k, r in typed.items()}
    assert typed["1:30"].out.strip() == f"#{ticket}: tidsregistrering 1: 1 t 30 min den 04.05.2026 af JH, dækket"
    with Session(engine) as session:
        minutes = list(session.scalars(select(TimeEntry.minutes).order_by(TimeEntry.id)))
    assert minutes == [90, 75, 45]


def test_outbox_flush_against_a_closed_port_says_in_danish_why_the_mail_waits(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    closed = replace(settings, smtp=replace(settings.smtp, host="127.0.0.1", port=port, starttls=False))
    config = write_config(tmp_path, closed)
    assert cli("ingest", "--json", mail_file(tmp_path, "kvittering"), config=config).json_lines()[0]["ack"] == "queued"

    flushed = cli("outbox", "flush", config=config)

    assert flushed.code == 0, flushed.err
    *rows, summary = flushed.out.splitlines()
    [line] = rows
    assert re.fullmatch(r"udbakke \d+: kvittering til lone@bageriet-soerensen.dk venter til \d\d\.\d\d \d\d:\d\d "
                        r"efter 1 forsøg: forbindelse afvist af 127\.0\.0\.1 \(ConnectionRefusedError: .*\)", line), line
    assert summary == "Udbakken: 0 sendt, 1 venter, 0 opgivet"
    listed = cli("outbox", "list", config=config).out
    assert "I kø" in listed and "forbindelse afvist af 127.0.0.1" in listed


def test_outbox_flush_names_what_was_sent_refused_and_left_from_before(
        cli: Any, smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture, tmp_path: Path) -> None:
    config = write_config(tmp_path, smtp_settings)
    cli("ingest", mail_file(tmp_path, "a"), config=config)
    assert cli("outbox", "flush", config=config).out.splitlines() == ["Udbakken: 1 sendt, 0 venter, 0 opgivet"]

    cli("ingest", mail_file(tmp_path, "b", "aase@bageriet-soerensen.dk"), config=config)
    smtp_server.refuse_with = "550 5.7.1 message refused as spam"
    refused = cli("outbox", "flush", config=config).out.splitlines()
    later = cli("outbox", "flush", config=config).out.splitlines()

    assert len(refused) == 2 and refused[-1] == "Udbakken: 0 sendt, 0 venter, 1 opgivet"
    assert "kvittering til aase@bageriet-soerensen.dk er opgivet (outbox retry sender den igen) efter 1 forsøg: " \
           "127.0.0.1 afviste mailen for godt (message refused: 550 5.7.1 message refused as spam)" in refused[0]
    assert later == ["Udbakken: 0 sendt, 0 venter, 0 opgivet, 1 opgivet eller usikker fra før (se outbox list)"]
    with Session(engine) as session:
        assert sorted(session.scalars(select(OutboxMessage.status))) == ["failed", "sent"]


def test_registry_import_reports_in_danish(cli: Any) -> None:
    assert cli("init-db").out.startswith("Databasen er klar (skemaversion ")
    first = cli("registry", "import", str(DEMO / "registry.toml"))
    assert first.code == 0 and re.fullmatch(r".*registry\.toml: kunder \d+ nye, 0 opdateret; kontakter \d+ nye, "
                                            r"0 opdateret; enheder \d+ nye, 0 opdateret\n", first.out), first.out
