"""Staff overrides and time entries from the command line, visit counting, and coverage in `explain`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.enums import ThreadAction
from inbox_worker.domain.types import ThreadDecision
from inbox_worker.features.tickets.ops import time_entries
from inbox_worker.mail.parse.parser import parse_mail
from inbox_worker.mail.runner import Runner
from inbox_worker.store import repository
from inbox_worker.store.models import CoverageOverride, Ticket, TicketEntry
from tests.conftest import DEMO
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def prepared(cli: Any) -> None:
    assert cli("init-db").code == 0
    assert cli("registry", "import", str(DEMO / "registry.toml")).code == 0


def first_mail(settings: Settings, engine: Engine) -> dict[str, Any]:
    return Runner(settings, engine).process(
        build_mail(message_id="<printer-1@bageriet-soerensen.dk>"), "test", now=NOW)


def reply(settings: Settings, engine: Engine, ticket: int, n: int) -> dict[str, Any]:
    return Runner(settings, engine).process(build_mail(
        subject=f"SV: [MICO #{ticket}] Printeren virker ikke", body=f"Stadig i stykker ({n})",
        message_id=f"<printer-reply-{n}@bageriet-soerensen.dk>"), "test", now=NOW)


def test_an_override_wins_over_the_rules_on_later_mails_of_the_ticket(cli: Any, settings: Settings,
                                                                      engine: Engine) -> None:
    ticket = first_mail(settings, engine)["ticket"]
    assert reply(settings, engine, ticket, 1)["coverage"]["rule"] == "base-infrastructure-device"  # the printer

    result = cli("tickets", "set-coverage", str(ticket), "billable", "--rate", "agreement", "--reason",
                 "Printeren skal udskiftes", "--by", "JH")

    assert result.code == 0, result.err
    later = reply(settings, engine, ticket, 2)
    assert later["coverage"]["status"] == "billable" and later["coverage"]["rate_dkk"] == 650
    assert later["coverage"]["rule"] == "staff-override"
    assert later["coverage"]["reason"].startswith("Printeren skal udskiftes (sat af JH")
    assert "billable" in later["review"]
    other = Runner(settings, engine).process(build_mail(subject="Ny sag om noget andet"), "test", now=NOW)
    assert other["coverage"]["rule"] != "staff-override"  # only that ticket
    with Session(engine) as session:
        override = session.scalars(select(CoverageOverride)).one()
        assert (override.ticket_id, override.by, override.reason) == (ticket, "JH", "Printeren skal udskiftes")
        assert override.previous["rule"] == "base-infrastructure-device"
        event = session.scalars(select(TicketEntry).where(TicketEntry.kind == "event")).one()
        assert "fakturerbar (650 kr./time)" in event.body_text


def test_time_entries_take_the_coverage_of_the_moment(cli: Any, settings: Settings, engine: Engine) -> None:
    ticket = str(first_mail(settings, engine)["ticket"])

    assert cli("tickets", "log-time", ticket, "20", "--by", "JH").code == 0
    assert cli("tickets", "set-coverage", ticket, "covered", "--reason", "Fejl på printeren", "--by", "JH").code == 0
    assert cli("tickets", "log-time", ticket, "30", "--by", "KB", "--note", "Fjernsupport").code == 0
    assert cli("tickets", "log-time", ticket, "15", "--by", "KB", "--billable").code == 0
    assert cli("tickets", "set-coverage", ticket, "billable", "--rate", "720", "--reason", "Udskiftning").code == 0
    assert cli("tickets", "log-time", ticket, "45", "--by", "KB").code == 0
    assert cli("tickets", "log-time", ticket, "10", "--by", "KB", "--covered").code == 0

    with Session(engine) as session:
        entries = time_entries(session, int(ticket))
    assert [(e.minutes, e.by, e.status, e.rate_dkk) for e in entries] == [
        (20, "JH", "covered", 0), (30, "KB", "covered", 0), (15, "KB", "billable", 650),
        (45, "KB", "billable", 720), (10, "KB", "covered", 0)]
    assert entries[1].note == "Fjernsupport" and entries[2].rule == "staff-billable"


def test_a_correction_is_a_new_entry(cli: Any, settings: Settings, engine: Engine) -> None:
    ticket = str(first_mail(settings, engine)["ticket"])
    assert cli("tickets", "log-time", ticket, "40", "--by", "JH", "--billable", "--date", "2026-11-18").code == 0

    corrected = cli("tickets", "log-time", ticket, "-15", "--by", "JH", "--corrects", "1")
    too_much = cli("tickets", "log-time", ticket, "-30", "--by", "JH", "--corrects", "1")

    assert corrected.code == 0, corrected.err
    assert too_much.code == 2 and "25 minutter tilbage" in too_much.err
    with Session(engine) as session:
        entries = time_entries(session, int(ticket))
    assert [(e.minutes, e.corrects, e.work_date.isoformat()) for e in entries] == [
        (40, None, "2026-11-18"), (-15, 1, "2026-11-18")]


def test_mistakes_are_one_clear_line(cli: Any, settings: Settings, engine: Engine) -> None:
    ticket = str(first_mail(settings, engine)["ticket"])
    cases = [
        (("tickets", "log-time", "999", "10", "--by", "JH"), "sag #999 findes ikke"),
        (("tickets", "log-time", ticket, "-10", "--by", "JH"), "tiden skal være positiv"),
        (("tickets", "log-time", ticket, "10", "--by", "J H"), "initialer"),
        (("tickets", "log-time", ticket, "10", "--by", "JH", "--date", "18-11-2026"), "--date"),
        (("tickets", "set-coverage", ticket, "covered", "--rate", "700", "--reason", "x"), "dækket arbejde har ingen sats"),
        (("tickets", "set-coverage", ticket, "billable", "--rate", "cheap", "--reason", "x"), "satsen skal være en af"),
        (("tickets", "set-coverage", ticket, "billable", "--reason", " "), "kræver en begrundelse"),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.code == 2 and message in result.err, (args, result.err)
        assert result.err.strip().count("\n") == 0 and "Traceback" not in result.err


def test_visits_are_counted_per_customer_and_calendar_year(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    tickets = [processor.process(build_mail(subject=f"Servicebesøg {n}"), "test", now=now)["ticket"]
               for n, now in enumerate([datetime(2025, 12, 31, 22, 30, tzinfo=UTC),
                                        datetime(2025, 12, 31, 23, 30, tzinfo=UTC), NOW, NOW])]
    with Session(engine) as session, session.begin():
        session.execute(update(Ticket).where(Ticket.id.in_(tickets)).values(category="visit"))
    mail = parse_mail(build_mail(date="Fri, 20 Nov 2026 10:12:00 +0100"))
    tagged = parse_mail(build_mail(subject=f"[MICO #{tickets[3]}] Servicebesøg"))

    with Session(engine) as session:
        keys = repository.customer_keys(session)
        context = repository.mail_context(session, mail, NOW, keys)
        tagged_context = repository.mail_context(session, tagged, NOW, keys)

    # 23:30 UTC on New Year's Eve is already 2026 in Copenhagen, 22:30 UTC is not: three visits in 2026,
    # two besides the one of the ticket a mail threads onto.
    new = ThreadDecision(ThreadAction.NEW, None)
    assert context.visit_year == 2026 and context.visits_used("bageriet", new) == 3
    assert tagged_context.visits_used("bageriet", ThreadDecision(ThreadAction.UPDATE, tickets[3])) == 2
    # A reply to a visit ticket that opens a new ticket (reopened too late) uses a visit of its own.
    assert tagged_context.visits_used("bageriet", new) == 3


def test_explain_shows_the_deciding_coverage_rule_and_those_tried(cli: Any, tmp_path: Path) -> None:
    prepared(cli)
    mail = tmp_path / "salon.eml"
    mail.write_bytes(build_mail(sender="pernille@salon-haarfin.dk", name="Pernille", subject="Printeren"))

    explained = json.loads(cli("explain", str(mail)).out)

    assert explained["coverage"]["rule"] == "no-agreement" and explained["coverage"]["rate_dkk"] == 850
    assert explained["priority"] == "low" and "billable" in explained["review"]
    entry = next(e for e in explained["trace"] if e["stage"] == "coverage")
    assert entry["details"]["tried"] == ["unknown-sender", "agreement-expired", "no-agreement"]
    assert entry["details"]["facts"]["agreement"] == "none"


SPECIAL = """
[[customer]]
key = "tv"
name = "Tværvej Revision"
domains = ["tvaervej.dk"]
agreement = "active"
packages = ["MCOSAABAS"]
exceptions = [
  { covered_device = "TV-NAS-01", note = "NAS'en er dækket efter aftale af 10.01.2026" },
  { covered_category = "software" },
  { visits_per_year = 4 },
]

[[device]]
customer = "tv"
tag = "TV-AP-02"
kind = "access-point"
extra_network = true
"""


def test_special_agreements_and_extra_networks_come_from_the_registry(cli: Any, settings: Settings,
                                                                      tmp_path: Path) -> None:
    prepared(cli)
    good = tmp_path / "good.toml"
    good.write_text(SPECIAL, encoding="utf-8")
    assert cli("registry", "import", str(good)).code == 0

    from inbox_worker.store.db import make_engine

    engine = make_engine(settings.database.url)
    with Session(engine) as session:
        snapshot = repository.load_snapshot(session)
    engine.dispose()
    assert snapshot.customers["tv"].exceptions[2] == {"visits_per_year": 4}
    assert snapshot.devices["tv"][0].extra_network is True
    assert not any(d.extra_network for d in snapshot.devices["bageriet"] if d.tag != "BAG-NET-04")

    for wrong, message in [('{ covered_device = "X", covered_category = "software" }', "præcis ét af"),
                           ('{ covered_category = "printers" }', "'covered_category' skal være en af"),
                           ('{ visits_per_year = -1 }', "'visits_per_year' skal være et helt tal"),
                           ('{ covered_gadget = "X" }', "ukendt felt i undtagelsen: 'covered_gadget'")]:
        bad = tmp_path / "bad.toml"
        bad.write_text(SPECIAL.replace('{ visits_per_year = 4 }', wrong), encoding="utf-8")
        result = cli("registry", "import", str(bad))
        assert result.code == 2 and "[[customer]] #1 (tv): exceptions #3: " in result.err and message in result.err
