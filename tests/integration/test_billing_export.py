"""A seeded quarter's invoice lines match a hand-made CSV to the øre (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.db import make_engine
from tests.conftest import FIXTURES
from tests.mailbuilder import build_mail

BILLING = FIXTURES / "billing"
NOW = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
MAILS = [  # ticket numbers 1..8 in this order
    ("anna@revision-aarhus.dk", "Ny server til kontoret"),
    ("bo@revision-aarhus.dk", "Et spørgsmål"),  # nothing to classify: coverage undetermined
    ("anna@revision-aarhus.dk", "Bærbar langsom"),
    ("kim@klinik-kim.dk", "Printeren skal sættes op"),  # trial: billable (a review would be free)
    ("sif@salon-sif.dk", "=1+1 Printer, kasse"),
    ("sif@salon-sif.dk", "Ny kasseskuffe"),
    ("gorm@gammel-kunde.dk", "Telefonen mailer ikke"),
    ("x@ukendt-firma.dk", "Tilbud?"),
]
STAFF_WORK = [  # what staff did in the quarter (and just outside it), through the command line
    ("set-coverage", "1", "billable", "--reason", "Ny server: udskiftning faktureres", "--by", "JH"),
    ("log-time", "1", "95", "--by", "JH", "--note", "Installation", "--date", "2026-04-14"),
    ("log-time", "1", "10", "--by", "JH", "--covered", "--date", "2026-04-15"),
    ("log-time", "2", "30", "--by", "KB", "--date", "2026-04-20"),  # undetermined: left out, named in the summary
    ("log-time", "3", "45", "--by", "KB", "--billable", "--date", "2026-06-30"),
    ("log-time", "3", "-20", "--by", "KB", "--corrects", "4"),  # the 45 minutes were 25
    ("log-time", "4", "61", "--by", "jh", "--note", "Første møde", "--date", "2026-05-02"),
    ("log-time", "5", "7", "--by", "KB", "--date", "2026-05-20"),
    ("set-coverage", "6", "billable", "--rate", "700", "--reason", "Aftalt fast pris", "--by", "KB"),
    ("log-time", "6", "60", "--by", "KB", "--date", "2026-06-01"),
    ("log-time", "7", "20", "--by", "JH", "--date", "2026-04-02"),
    ("log-time", "1", "30", "--by", "JH", "--date", "2026-07-01"),  # next quarter
    ("log-time", "1", "15", "--by", "JH", "--date", "2026-03-31"),  # previous quarter
    ("log-time", "8", "12", "--by", "JH", "--date", "2026-05-05"),  # unknown sender: no customer to invoice
]


def seed(cli: Any, settings: Settings) -> None:
    assert cli("init-db").code == 0
    assert cli("registry", "import", str(BILLING / "registry.toml")).code == 0
    engine = make_engine(settings.database.url)
    processor = Runner(settings, engine)
    for day, (sender, subject) in enumerate(MAILS, start=1):
        decision = processor.process(build_mail(sender=sender, name="", subject=subject, body="Hej MICO",
                                                date=f"Thu, {day:02d} Apr 2026 10:00:00 +0200"), "test", now=NOW)
        assert decision["ticket"] == day
    engine.dispose()
    for command in STAFF_WORK:
        result = cli("tickets", *command)
        assert result.code == 0, result.err


def test_the_seeded_quarter_matches_the_hand_made_csv(cli: Any, settings: Settings, tmp_path: Path) -> None:
    seed(cli, settings)
    out = tmp_path / "q2.csv"

    result = cli("billing", "export", "--quarter", "2026-Q2", "--out", str(out))

    assert result.code == 0, result.err
    assert out.read_text(encoding="utf-8") == (BILLING / "2026-Q2.csv").read_text(encoding="utf-8")
    assert "revision" in result.out and "1.462,50 kr." in result.out
    assert "I alt: 4 kunder, fakturerbar tid 3.612,50 kr. ekskl. moms" in result.out
    assert "2 tidsregistreringer med uafklaret dækning" in result.out and "#2, #8" in result.out


def test_without_out_the_csv_goes_to_stdout_and_a_bad_quarter_is_one_line(cli: Any, settings: Settings) -> None:
    seed(cli, settings)

    printed = cli("billing", "export", "--quarter", "2026-Q2")
    bad = cli("billing", "export", "--quarter", "2026-5")

    assert printed.out == (BILLING / "2026-Q2.csv").read_text(encoding="utf-8")
    assert "Fakturagrundlag 2026-Q2" in printed.err
    assert bad.code == 2 and bad.err.strip().count("\n") == 0 and "2026-Q2" in bad.err


def test_the_previous_quarter_bills_the_terminated_agreements_packages(cli: Any, settings: Settings) -> None:
    seed(cli, settings)

    lines = cli("billing", "export", "--quarter", "2026-Q1").out.splitlines()

    assert "gammel,Gammel Kunde A/S,package,MCOSAABAS,Basispakke,,,,,,1,," in lines
    assert "revision,Revisionshuset Århus ApS,time,,#1 Ny server til kontoret,1,2026-03-31,JH,15,15,,650.00,162.50" in lines
    assert not any(line.startswith(("klinik", "salon")) for line in lines)  # trial and none: no packages, no time
