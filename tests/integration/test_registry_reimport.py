"""`registry import` again: what staff made in the web UI stays, what the file dropped is reported, and only
`--prune` removes it; a ticket that names a removed record keeps working. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.customers.create import add_contact
from inbox_worker.features.tickets.edit import link_customer
from inbox_worker.features.tickets.view import ticket_view
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import Contact, Customer, Device, Ticket
from tests.conftest import DEMO
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DROPPED = ('email = "aase@bageriet-soerensen.dk"', 'tag = "BAG-PC-03"', 'key = "boegh"', 'customer = "boegh"')


def registry_without_aase_her_computer_and_boegh(tmp_path: Path) -> Path:
    """The demo registry with Åse's contact, her computer and the customer Bøgh (with all of its) taken out."""
    text = (DEMO / "registry.toml").read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[\[)", text)
    kept = [block for block in blocks if not any(line in block for line in DROPPED)]
    assert len(blocks) - len(kept) >= 4  # the contact, the device, the customer and its rows
    path = tmp_path / "registry.toml"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def _staff_made_contact_and_alias(engine: Engine, runner: Runner) -> tuple[int, int]:
    """What staff do from two tickets: a new contact at Bageriet, and Lone's private address as her alias."""
    new = runner.process(build_mail(sender="ny.bager@bageriet-soerensen.dk", name="Ny Bager"), "t")["ticket"]
    private = runner.process(build_mail(sender="lone.privat@hotmail.com", name="Lone"), "t")["ticket"]
    with Session(engine) as session, session.begin():
        add_contact(session, "bageriet", "ny.bager@bageriet-soerensen.dk", "Ny Bager", "da", "JH", NOW, ticket=new)
        link_customer(session, session.get(Ticket, new), "bageriet", "ny.bager@bageriet-soerensen.dk", False,
                      "JH", NOW)
        link_customer(session, session.get(Ticket, private), "bageriet", "lone@bageriet-soerensen.dk", True,
                      "JH", NOW)
    return new, private


def _contact(engine: Engine, email: str) -> Contact | None:
    with Session(engine) as session:
        return session.scalar(select(Contact).where(Contact.email == email))


def test_reimport_keeps_web_made_records_reports_the_dropped_and_prunes_only_when_asked(
        engine: Engine, settings: Settings, cli: Any, tmp_path: Path) -> None:
    runner = Runner(settings, engine)
    aase_ticket = runner.process(build_mail(sender="aase@bageriet-soerensen.dk", name="Åse Løkke",
                                            subject="Min computer er gået i stå",
                                            body="Hej\n\nMin computer BAG-PC-03 er gået helt i stå.\n\nÅse"),
                                 "t")["ticket"]
    _staff_made_contact_and_alias(engine, runner)
    smaller = registry_without_aase_her_computer_and_boegh(tmp_path)

    reported = cli("registry", "import", str(smaller))
    assert reported.code == 0, reported.err
    assert "Ikke længere i filen: kontakt aase@bageriet-soerensen.dk (1 sag henviser til den)" in reported.out
    assert "Ikke længere i filen: enhed BAG-PC-03 (1 sag henviser til den)" in reported.out
    assert "Ikke længere i filen: kunde boegh" in reported.out
    assert "kør igen med --prune" in reported.out
    assert "Oprettet i webfladen og beholdt: 1 kontakt, 1 alias" in reported.out
    assert _contact(engine, "aase@bageriet-soerensen.dk") is not None  # reported, not removed
    staff_made = _contact(engine, "ny.bager@bageriet-soerensen.dk")
    assert staff_made is not None and staff_made.origin == "staff"
    lone = _contact(engine, "lone@bageriet-soerensen.dk")
    assert lone is not None and lone.origin == "registry"
    assert lone.aliases == ["lone.soerensen@gmail.com", "lone.privat@hotmail.com"]  # the file's, then staff's
    assert lone.staff_aliases == ["lone.privat@hotmail.com"]

    as_json = cli("registry", "import", "--json", str(smaller)).json_lines()[0]
    assert as_json["contacts"]["created"] == 0 and as_json["customers"]["created"] == 0
    assert {"kind": "contact", "key": "aase@bageriet-soerensen.dk", "tickets": 1, "action": "reported",
            "reason": None} in as_json["unlisted"]
    assert as_json["staff_kept"] == {"customers": 0, "contacts": 1, "devices": 0, "aliases": 1}

    pruned = cli("registry", "import", "--prune", str(smaller))
    assert pruned.code == 0, pruned.err
    assert "Fjernet: kontakt aase@bageriet-soerensen.dk (1 sag beholder adressen)" in pruned.out
    assert "Beholdt: enhed BAG-PC-03 (1 sag er koblet til enheden)" in pruned.out
    assert "Fjernet: kunde boegh" in pruned.out
    assert _contact(engine, "aase@bageriet-soerensen.dk") is None
    assert _contact(engine, "ny.bager@bageriet-soerensen.dk") is not None  # staff-made: never pruned
    lone = _contact(engine, "lone@bageriet-soerensen.dk")
    assert lone is not None and "lone.privat@hotmail.com" in lone.aliases
    with Session(engine) as session:
        assert session.scalar(select(Customer).where(Customer.key == "boegh")) is None
        assert session.scalar(select(Device).where(Device.tag == "BAG-PC-03")) is not None
        view = ticket_view(session, aase_ticket)  # the ticket that named Åse reads as before
        assert view is not None and view.ticket.contact_email == "aase@bageriet-soerensen.dk"
        assert [d.tag for d in view.linked_devices] == ["BAG-PC-03"]

    # Tickets keep working: Åse's answer threads onto her ticket, the staff-made contact and alias still link.
    runner.refresh()
    answer = runner.process(build_mail(sender="aase@bageriet-soerensen.dk", name="Åse Løkke",
                                       subject=f"Sv: [MICO #{aase_ticket}] Min computer er gået i stå",
                                       body="Den virker igen."), "t")
    assert (answer["outcome"], answer["ticket"]) == ("updated_ticket", aase_ticket)
    again = runner.process(build_mail(sender="lone.privat@hotmail.com", name="Lone", subject="Ny sag"), "t")
    assert again["contact"] == "lone@bageriet-soerensen.dk"
    new = runner.process(build_mail(sender="ny.bager@bageriet-soerensen.dk", name="Ny Bager", subject="Hej"), "t")
    assert new["contact"] == "ny.bager@bageriet-soerensen.dk"


def test_a_staff_alias_the_file_now_gives_another_contact_makes_way(engine: Engine, settings: Settings, cli: Any,
                                                                     tmp_path: Path) -> None:
    runner = Runner(settings, engine)
    _staff_made_contact_and_alias(engine, runner)
    text = (DEMO / "registry.toml").read_text(encoding="utf-8").replace(
        'email = "soeren@bageriet-soerensen.dk"\n', 'email = "soeren@bageriet-soerensen.dk"\n'
        'aliases = ["lone.privat@hotmail.com"]\n', 1)
    path = tmp_path / "registry.toml"
    path.write_text(text, encoding="utf-8")
    assert cli("registry", "import", str(path)).code == 0
    lone, soeren = _contact(engine, "lone@bageriet-soerensen.dk"), _contact(engine, "soeren@bageriet-soerensen.dk")
    assert lone is not None and soeren is not None
    assert "lone.privat@hotmail.com" not in lone.aliases and lone.staff_aliases == []
    assert soeren.aliases == ["lone.privat@hotmail.com"]
    # A staff-made contact the file now lists becomes the file's (and would be reported if dropped again).
    listed = text + ('\n[[contact]]\ncustomer = "bageriet"\nemail = "ny.bager@bageriet-soerensen.dk"\n'
                     'name = "Ny Bager"\n')
    path.write_text(listed, encoding="utf-8")
    assert cli("registry", "import", str(path)).code == 0
    taken_over = _contact(engine, "ny.bager@bageriet-soerensen.dk")
    assert taken_over is not None and taken_over.origin == "registry"
