"""Full-text search (store/search.py): Danish inflections, æ/ø/å, contacts, devices, notes, merges and
deletions find (or stop finding) their tickets, ranked, on SQLite and PostgreSQL alike; no query breaks it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.queue.triage import QueueFilter, queue_page
from inbox_worker.features.tickets.clocks import ClockSetup
from inbox_worker.features.tickets.edit import add_note
from inbox_worker.features.tickets.merge import merge
from inbox_worker.mail.runner import Runner
from inbox_worker.store.db import MIGRATIONS, make_engine, migrate
from inbox_worker.store.models import Contact, Device, Ticket, TicketDevice, TicketEntry
from inbox_worker.store.registry_import import import_registry
from tests.conftest import DEMO
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def found(engine: Engine, query: str) -> list[int]:
    """The ticket numbers the queue's search shows for `query`, over every status, best first."""
    with Session(engine) as session:
        return [row["id"] for row in queue_page(session, QueueFilter(status="", search=query), 50, NOW).rows]


def mail(settings: Settings, engine: Engine, subject: str, body: str, sender: str = "lone@bageriet-soerensen.dk",
         name: str = "Lone Sørensen") -> int:
    return int(Runner(settings, engine).process(build_mail(sender=sender, name=name, subject=subject, body=body),
                                                "test")["ticket"])


def test_danish_inflections_find_their_stem_in_a_body(settings: Settings, engine: Engine) -> None:
    ticket = mail(settings, engine, "Hjælp i dag", "Hej\n\nPrinteren i kælderen er død, og computeren vil ikke starte.")
    other = mail(settings, engine, "Kaffemaskinen", "Hej\n\nDen laver ikke kaffe.")
    for query in ("printeren", "printerne", "printer", "PRINTERE", "computeren", "computere", "computer"):
        assert found(engine, query) == [ticket], query
    assert found(engine, "kaffen") == [other]
    assert found(engine, "printer kaffe") == []  # every word must be there


def test_case_folding_of_æøå(settings: Settings, engine: Engine) -> None:
    ticket = mail(settings, engine, "Ny medarbejder", "Hej\n\nSøren fra Ærøskøbing skal have en bærbar på mandag.")
    for query in ("SØREN", "søren", "ÆRØSKØBING", "BÆRBAR", "bærbare"):
        assert found(engine, query) == [ticket], query
    assert found(engine, "soren") == []  # ø is a letter of its own, not an o


def test_a_contact_name_finds_her_tickets(settings: Settings, engine: Engine) -> None:
    lone = mail(settings, engine, "Skærmen flimrer", "Hej\n\nSkærmen flimrer.")
    mark = mail(settings, engine, "Screen", "Hi\n\nMy screen flickers.", sender="mark@bageriet-soerensen.dk",
                name="Mark")
    assert found(engine, "Lone") == [lone]  # her name is in the registry, not in the mail
    assert found(engine, "thompson") == [mark]
    with Session(engine) as session, session.begin():  # the registry renames her: her tickets follow
        contact = session.scalars(select(Contact).where(Contact.email == "lone@bageriet-soerensen.dk")).one()
        contact.name = "Lone Bagersen"
    assert found(engine, "Bagersen") == [lone]
    assert found(engine, "Lone Sørensen") == []
    with Session(engine) as session, session.begin():  # erasing a person: her name leaves the index
        session.execute(delete(Contact).where(Contact.email == "lone@bageriet-soerensen.dk"))
    assert found(engine, "Bagersen") == []


def test_a_device_serial_finds_the_ticket_linked_to_that_device(settings: Settings, engine: Engine) -> None:
    ticket = mail(settings, engine, "Langsom", "Hej\n\nDen er meget langsom.")
    assert found(engine, "PF3KX7QM") == []
    with Session(engine) as session, session.begin():
        device = session.scalars(select(Device).where(Device.tag == "BAG-PC-02")).one()
        session.add(TicketDevice(ticket_id=ticket, device_id=device.id))
    for query in ("PF3KX7QM", "pf3kx7qm", "BAG-PC-02", "bag-pc-02"):
        assert found(engine, query) == [ticket], query
    with Session(engine) as session, session.begin():  # re-imported with a new serial
        device = session.scalars(select(Device).where(Device.tag == "BAG-PC-02")).one()
        device.serial = "NEWSERIAL77"
    assert found(engine, "NEWSERIAL77") == [ticket]
    assert found(engine, "PF3KX7QM") == []


def test_a_subject_hit_ranks_before_a_body_hit(settings: Settings, engine: Engine) -> None:
    in_body = mail(settings, engine, "Internet nede", "Hej\n\nVi har genstartet routeren, men intet virker.")
    in_subject = mail(settings, engine, "Routeren blinker rødt", "Hej\n\nDen blinker hele tiden.")
    assert found(engine, "router") == [in_subject, in_body]


def test_a_notes_text_is_found(settings: Settings, engine: Engine) -> None:
    ticket = mail(settings, engine, "Skærmen", "Hej\n\nSkærmen er sort.")
    assert found(engine, "garantien") == []
    with Session(engine) as session, session.begin():
        add_note(session, session.get_one(Ticket, ticket), "Ringede til Dell: garantien dækker en ny skærm", "JH", NOW)
    assert found(engine, "garanti") == [ticket]


def test_a_merged_tickets_entries_are_found_under_the_target(settings: Settings, engine: Engine) -> None:
    source = mail(settings, engine, "Spørgsmål", "Hej\n\nFakturaen for oktober mangler.")
    target = mail(settings, engine, "Regnskab", "Hej\n\nVi skal tale om regnskabet.")
    assert found(engine, "fakturaer") == [source]
    with Session(engine) as session, session.begin():
        merge(session, session.get_one(Ticket, source), target, "JH", NOW, ClockSetup.from_settings(settings))
    assert found(engine, "fakturaer") == [target]


def test_deleting_an_entry_removes_it_from_the_results(settings: Settings, engine: Engine) -> None:
    ticket = mail(settings, engine, "Adgang", "Hej\n\nMit kodeord er Sommerfugl2026, kan I nulstille det?")
    assert found(engine, "sommerfugl2026") == [ticket]
    with Session(engine) as session, session.begin():
        session.execute(delete(TicketEntry).where(TicketEntry.ticket_id == ticket, TicketEntry.kind == "inbound"))
    assert found(engine, "sommerfugl2026") == []
    assert found(engine, "adgang") == [ticket]  # the subject is still the ticket's


HOSTILE = ['"', '""', '"printer', "printer*", "*", "print:er", "title:printer", "^printer", "NEAR(printer kaffe)",
           "printer AND", "AND OR NOT", "(printer", "printer)", "'; DROP TABLE tickets; --", "printer & | ! <->",
           "%", "_", "\\", "\x00printer", "\ud800", "😀", "😀 printer", "og i jeg det at", "x" * 10_000,
           "printer " * 500, "<script>alert(1)</script>", "-printer", "+printer", "printer:*", "{printer}", "#"]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_and_operator_queries_never_raise(settings: Settings, engine: Engine, query: str) -> None:
    ticket = mail(settings, engine, "Printeren", "Hej\n\nPrinteren virker ikke.")
    result = found(engine, query)
    assert result in ([], [ticket])
    if not any(ch.isalnum() for ch in query.replace("og i jeg det at", "")):  # no word to look for
        assert result == []


def test_the_migration_indexes_the_tickets_already_stored(settings: Settings, tmp_path: Path) -> None:
    engine = make_engine(settings.database.url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:  # a database as it was before the search index
        config.attributes["connection"] = connection
        command.upgrade(config, "0013")  # the revision before the search index (0014)
    with Session(engine) as session, session.begin():
        import_registry(session, DEMO / "registry.toml")
    before = mail(settings, engine, "Netværket", "Hej\n\nNetværkskablet i kantinen er knækket.")
    with Session(engine) as session, session.begin():
        add_note(session, session.get_one(Ticket, before), "Kablet skiftet af Søren", "JH", NOW)
    migrate(engine)
    assert found(engine, "netværkskabler") == [before]
    assert found(engine, "KABLET") == [before]
    assert found(engine, "Lone") == [before]
    after = mail(settings, engine, "Kablerne er kommet", "Hej\n\nDe ligger i receptionen.")
    assert found(engine, "kabler") == [after, before]  # a subject hit first
    engine.dispose()


def test_a_search_past_the_count_limit_shows_its_best_matches_but_no_numbers(settings: Settings,
                                                                           engine: Engine) -> None:
    """A common word is counted only up to the limit (here 3): the page is still ranked over every match,
    the pager says there is more, and the filters list the queue's values without numbers."""
    tickets = [mail(settings, engine, f"Printer {n}", "Hej\n\nPrinteren virker ikke." + " printer" * n)
               for n in range(5)]
    other = mail(settings, engine, "Kaffe", "Hej\n\nKaffemaskinen er i stykker.",
                 sender="mark@bageriet-soerensen.dk", name="Mark")
    with Session(engine) as session:
        def page(f: QueueFilter, limit: int = 3) -> Any:
            return queue_page(session, f, 2, NOW, search_count_limit=limit)

        exact = page(QueueFilter(status="", search="printer"), limit=5)
        assert (exact.capped, exact.total, exact.has_next) == (False, 5, True)
        assert sum(n for _, _, n in exact.counts["status"]) == 5
        first = page(QueueFilter(status="", search="printer"))
        assert first.capped and first.total == 3 and first.has_next
        assert [row["id"] for row in first.rows] == [row["id"] for row in exact.rows]  # the best two, ranked
        assert all(n == 0 for values in first.counts.values() for _, _, n in values)
        assert {value for value, _, _ in first.counts["status"]} == {"open"}  # the queue's values
        third = page(QueueFilter(status="", search="printer", page=3))
        assert len(third.rows) == 1 and not third.has_next
        seen = {row["id"] for p in (1, 2, 3) for row in page(QueueFilter(status="", search="printer", page=p)).rows}
        assert seen == set(tickets) and other not in seen
        rare = page(QueueFilter(status="", search="kaffemaskinen"))
        assert (rare.capped, rare.total, rare.has_next, [r["id"] for r in rare.rows]) == (False, 1, False, [other])
