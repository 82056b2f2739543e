"""`privacy erase` (issue 16): after it, nothing anywhere holds the person; the invoice basis gives the same lines.

Real .eml files through `ingest`, staff work through the command line, the erasure through the CLI's main();
then every value of every table (the database's own catalog), the full-text index and every attachment file
are searched for the person's addresses, name, phone and phrases of their mails. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import email
import io
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.summary.build import IsoWeek
from inbox_worker.mail.runner import Runner
from inbox_worker.store.db import make_engine
from inbox_worker.store.models import (
    AttachmentRecord,
    AuditEntry,
    Contact,
    Customer,
    Device,
    ErasedTicket,
    OutboxMessage,
    PrivacyErasure,
    RawMessage,
    Ticket,
    TicketEntry,
)
from inbox_worker.store.search import hits
from tests.conftest import DEMO
from tests.mailbuilder import build_mail
from tests.privacyscan import checksum, traces

LONE, ALIAS, NAME = "lone@bageriet-soerensen.dk", "lone.soerensen@gmail.com", "Lone Sørensen"
SOEREN = "soeren@bageriet-soerensen.dk"
PHONE = "21 43 65 87"  # the registry has it as +45 21 43 65 87
PHRASES = ("blåbærmuffins klistrer til tastaturet", "zebrastribet musemåtte ved kassen",
           "mandelkager i printerbakken", "hemmeligt skærmbillede fra kaffemaskinen", "syltetøj i karantænen")
TERMS = b"%PDF-1.4 MICO's standardvilkaar, the same file on two tickets\n"  # attached by Lone and by Mette
QUARTER = "2026-Q4"


def _with_terms(raw: bytes) -> bytes:
    message = email.message_from_bytes(raw, policy=SMTP)
    assert isinstance(message, EmailMessage)
    message.add_attachment(TERMS, maintype="application", subtype="pdf", filename="vilkaar.pdf")
    return message.as_bytes()


def _mails(folder: Path) -> list[Path]:
    """Ticket 1 (Lone, with two attachments), 2 (Lone from her private alias), 3 (Søren, Lone in Cc; then Lone's
    reply on it, and Søren's reply quoting hers and naming her), 4 (Mette at another customer, with the same
    terms file as Lone's)."""
    mails = [
        _with_terms(build_mail(
            subject="Kaffemaskinen på kontoret", message_id="<m1@bageriet-soerensen.dk>",
            body=f"Hej MICO\n\nSe skærmbilledet: {PHRASES[0]}.\n\nMed venlig hilsen\n{NAME}\nTlf. +45 {PHONE}",
            attachment=("skaermbillede.txt", f"Logfil: {PHRASES[3]}\n".encode()))),
        build_mail(sender=ALIAS, subject="Arbejdsmail på min telefon", message_id="<m2@gmail.com>",
                   body=f"Hej\n\nDer er en {PHRASES[1]}, og mailen virker ikke.\n\nLone\nMobil 21436587"),
        build_mail(sender=SOEREN, name="Søren Ærbø", subject="Printeren i baglokalet", message_id="<m3@bageriet-soerensen.dk>",
                   body="Hej\n\nPrinteren i baglokalet trækker ikke papir.\n\nSøren", headers={"Cc": f"{NAME} <{LONE}>"}),
        build_mail(subject="Re: [MICO #3] Printeren i baglokalet", message_id="<m4@bageriet-soerensen.dk>",
                   body=f"Jeg har fundet årsagen: der lå {PHRASES[2]} i den nederste skuffe ved siden af.\n\nLone"),
        build_mail(sender=SOEREN, name="Søren Ærbø", subject="Re: [MICO #3] Printeren i baglokalet",
                   message_id="<m5@bageriet-soerensen.dk>",
                   body=f"Lone har også set det, så nu virker den.\n\nDen 20.11.2026 skrev {NAME} <{LONE}>:\n"
                        f"> Jeg har fundet årsagen: der lå {PHRASES[2]} i den nederste skuffe ved siden af.\n"),
        _with_terms(build_mail(sender="mette@tandlaegerne-aaen.dk", name="Mette Kjærgaard", subject="Vilkårene",
                               message_id="<m6@tandlaegerne-aaen.dk>", body="Hej\n\nHer er de underskrevne vilkår.")),
    ]
    paths = []
    for number, raw in enumerate(mails, start=1):
        path = folder / f"{number:02d}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def _billing(cli: Any, tmp_path: Path, name: str) -> list[dict[str, str]]:
    out = tmp_path / name
    result = cli("billing", "export", "--quarter", QUARTER, "--out", str(out))
    assert result.code == 0, result.err
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))


def _without_descriptions(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k != "description"} for row in rows]


def _seed(cli: Any, settings: Settings, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    decisions = [cli("ingest", "--json", str(path)).json_lines()[0] for path in _mails(inbox)]
    assert [d["ticket"] for d in decisions] == [1, 2, 3, 3, 3, 4]
    assert decisions[1]["contact"] == LONE  # the alias is hers
    stuck = build_mail(subject="Hjælp", message_id="<q1@bageriet-soerensen.dk>", body=f"Der er {PHRASES[4]}.")
    engine = make_engine(settings.database.url)
    Runner(settings, engine).process(stuck, "test", quarantine_reason="for stor til at blive hentet")
    engine.dispose()
    assert len(cli("quarantine", "list", "--json").json_lines()) == 1
    for command in (
        ("set-coverage", "1", "billable", "--reason", f"{NAME} vil have en ny kaffemaskine", "--by", "JH"),
        ("log-time", "1", "50", "--by", "JH", "--note", f"Ringede til {NAME} på {PHONE}", "--date", "2026-11-20"),
        ("log-time", "3", "35", "--by", "KB", "--billable", "--note", "Printer renset", "--date", "2026-11-21"),
    ):
        result = cli("tickets", *command)
        assert result.code == 0, result.err


def _needles() -> list[str]:
    return [LONE, ALIAS, NAME, PHONE, "21436587", *PHRASES]


def test_after_an_erasure_nothing_holds_the_person_and_the_invoice_is_unchanged(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path) -> None:
    _seed(cli, settings, tmp_path)
    folder = Path(settings.storage.attachments_dir)
    assert {t[2] for t in traces(engine, folder, _needles())} == {n.casefold() for n in _needles()}  # all there
    before = _billing(cli, tmp_path, "before.csv")
    sum_before = checksum(engine, folder)

    dry = cli("privacy", "erase", LONE, "--reason", f"{NAME} bad om det 1.12.2026", "--by", "JH", "--dry-run")

    assert dry.code == 0, dry.err
    assert checksum(engine, folder) == sum_before  # a dry run changes nothing
    assert "prøvekørsel, intet er ændret" in dry.out and "Slettet person #1" in dry.out
    assert "3 sager bliver stående uden emne og tekst" not in dry.out  # ticket 3 is Søren's
    assert "2 sager bliver stående uden emne og tekst, med pseudonymet som afsender" in dry.out
    assert "6 rå mails (.eml) slettes" in dry.out  # hers (3 + 1 quarantined), Søren's with her in Cc, quoting her
    assert "2 vedhæftede filer slettes" in dry.out and "1 fil i vedhæftningsmappen slettes" in dry.out  # not the terms

    done = cli("privacy", "erase", LONE, "--reason", f"{NAME} bad om det 1.12.2026", "--by", "JH")

    assert done.code == 0, done.err
    assert done.out.replace("er slettet", "slettes").count("slettes") >= 3 and "prøvekørsel" not in done.out
    assert traces(engine, folder, _needles()) == []
    assert cli("quarantine", "list", "--json").json_lines() == []  # her quarantined mail went too
    with Session(engine) as session:  # the terms file stays: Mette's ticket still has it
        [(terms,)] = session.execute(select(AttachmentRecord.stored_path).where(AttachmentRecord.ticket_id == 4))
    assert (folder / terms).read_bytes() == TERMS
    for needle in _needles():  # the search index: no ticket found by any of them (FTS5 / tsvector)
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(hits(needle, engine.dialect.name))) == 0, needle
    after = _billing(cli, tmp_path, "after.csv")
    assert _without_descriptions(after) == _without_descriptions(before)  # same lines, minutes, rates, amounts
    assert [r["description"] for r in after if r["line"] == "time"] == [
        "#1 [Slettet efter anmodning] – Ringede til Slettet person #1 på Slettet person #1",
        "#3 Printeren i baglokalet – Printer renset"]
    with Session(engine) as session:
        soerens = [e.body_text for e in session.scalars(select(TicketEntry).where(TicketEntry.ticket_id == 3))]
        assert any("Slettet person #1 har også set det" in text for text in soerens)  # his words stay
        assert session.scalar(select(func.count()).select_from(RawMessage)) == 1  # each but Mette's carried her
        lone = session.scalar(select(Contact).where(Contact.name == "Slettet person #1"))
        assert lone is not None and lone.aliases == [] and lone.phone is None  # kept for MCOSABBRU
        assert lone.packages == ["MCOSABBRU"] and lone.email.endswith("@slettet.invalid")
        customer = session.scalar(select(Customer).where(Customer.key == "bageriet"))
        assert customer is not None and customer.contact_person is None
        assert session.scalar(select(Device.name).where(Device.tag == "BAG-PC-01")) == "Slettet person #1s bærbare"
        assert sorted(session.execute(select(ErasedTicket.ticket_id, ErasedTicket.erasure_id)).all()) == [(1, 1), (2, 1)]
        erasure = session.get(PrivacyErasure, 1)
        assert erasure is not None and erasure.scope == "person" and erasure.counts["raw_mails"] == 6
        assert erasure.reason == "Slettet person #1 bad om det 1.12.2026" and erasure.by == "JH"
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy-erase"))
        assert entry.actor == "JH" and entry.details["pseudonym"] == "Slettet person #1"
        assert entry.details["counts"]["tickets"] == 2


def test_the_summary_then_goes_to_nobody_and_a_later_mail_is_from_an_unknown_sender(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path) -> None:
    _seed(cli, settings, tmp_path)
    assert cli("privacy", "erase", ALIAS, "--reason", "Anmodning", "--by", "JH").code == 0  # by her alias: all of her
    week = IsoWeek.last_completed(datetime.now(UTC), "Europe/Copenhagen")

    summary = cli("summary", "send", "--week", str(week), "--customer", "bageriet")

    assert summary.code == 0, summary.err
    assert ("bageriet: ikke sendt (ingen kontaktperson: Slettet person #1 er slettet efter anmodning, så "
            "ugeoversigten går ikke til nogen, før registret får en ny contact_person)") in summary.out
    with Session(engine) as session:
        recipients = {r.lower() for r in session.scalars(select(OutboxMessage.recipient))}
        assert not recipients & {LONE, ALIAS}
        assert all(status != "queued" for status in session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.ticket_id.in_([1, 2]))))  # her acks are never sent now
    later = tmp_path / "later"
    later.mkdir()
    (later / "1.eml").write_bytes(build_mail(subject="Jeg er tilbage", message_id="<later1@bageriet-soerensen.dk>"))
    (later / "2.eml").write_bytes(build_mail(sender=ALIAS, subject="Også herfra", message_id="<later2@gmail.com>"))
    first, second = cli("ingest", "--json", str(later)).json_lines()
    assert (first["outcome"], first["contact"], first["customer"]) == ("new_ticket", None, "bageriet")
    assert "unknown-contact" in first["review"]  # her domain is still the customer's; she is nobody's contact now
    assert (second["contact"], second["customer"], second["review"][:1]) == (None, None, ["unknown-sender"])


def test_an_unknown_address_is_one_danish_line_and_exit_2(cli: Any, engine: Engine) -> None:
    result = cli("privacy", "erase", "ingen@example.com", "--reason", "Anmodning", "--by", "JH")

    assert result.code == 2 and result.out == ""
    assert result.err.strip().splitlines() == ["inbox-worker: der er intet om ingen@example.com: ingen kontakt "
                                               "eller alias med den adresse, og ingen mail fra eller til den"]
    customer = cli("privacy", "erase", "--customer", "ukendt", "--reason", "Opsagt", "--by", "JH", "--dry-run")
    assert (customer.code, customer.err) == (2, "inbox-worker: --customer: ingen kunde med nøglen 'ukendt' i registret\n")


@pytest.mark.parametrize("dry_run", [True, False])
def test_erasing_a_terminated_customer_keeps_its_invoice_lines(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path, dry_run: bool) -> None:
    assert cli("ingest", str(DEMO / "inbox")).code == 0
    boegh = 15
    with Session(engine) as session:
        ticket = session.get(Ticket, boegh)
        assert ticket is not None and ticket.contact_email == "joergen@boegh-toemrer.dk"
    assert cli("tickets", "log-time", str(boegh), "40", "--by", "JH", "--billable", "--note", "Jørgen Bøghs telefon",
               "--date", "2026-11-19").code == 0
    folder = Path(settings.storage.attachments_dir)
    needles = ["joergen@boegh-toemrer.dk", "Jørgen Bøgh", "Tømrerfirmaet Bøgh & Søn ApS", "40 55 12 34",
               "Samsung Galaxy, som jeg har haft"]
    before, sum_before = _billing(cli, tmp_path, "before.csv"), checksum(engine, folder)

    result = cli("privacy", "erase", "--customer", "boegh", "--reason", "Opsagt, data slettes", "--by", "JH",
                 *(["--dry-run"] if dry_run else []))

    assert result.code == 0, result.err
    assert result.out.startswith("Sletning af kunden boegh og alle dens personer")
    if dry_run:
        assert checksum(engine, folder) == sum_before
        return
    assert traces(engine, folder, needles) == []
    after = _billing(cli, tmp_path, "after.csv")
    assert _without_descriptions(after) == [{**row, "customer_name": "Slettet kunde #2"} if row["customer"] == "boegh"
                                            else row for row in _without_descriptions(before)]
    with Session(engine) as session:
        customer = session.scalar(select(Customer).where(Customer.key == "boegh"))
        assert customer is not None and customer.domains == [] and customer.name == "Slettet kunde #2"
    later = tmp_path / "later.eml"
    later.write_bytes(build_mail(sender="joergen@boegh-toemrer.dk", name="Jørgen Bøgh", subject="Hej igen"))
    [decision] = cli("ingest", "--json", str(later)).json_lines()
    assert (decision["customer"], decision["contact"], decision["review"][:1]) == (None, None, ["unknown-sender"])


def test_a_file_the_disk_will_not_remove_is_named_and_the_erasure_stands(cli: Any, settings: Settings,
                                                                        engine: Engine) -> None:
    """The rows go in one transaction; a file the disk then refuses (here: its path is a folder now) does not
    end the command with a traceback after the fact, but is named, in Danish, to be removed by hand."""
    Runner(settings, engine).process(build_mail(attachment=("kontrakt.pdf", b"%PDF-1.7 Lones kontrakt")), "imap")
    with Session(engine) as session:
        stored = session.scalar(select(AttachmentRecord.stored_path).where(AttachmentRecord.filename == "kontrakt.pdf"))
    assert stored is not None
    target = Path(settings.storage.attachments_dir) / stored
    target.unlink()
    target.mkdir()
    (target / "stuck").write_bytes(b"x")  # a non-empty folder: unlink fails for root too

    result = cli("privacy", "erase", LONE, "--reason", "Anmodning", "--by", "JH")
    assert result.code == 0, result.err
    assert "OBS: 1 fil i vedhæftningsmappen kunne ikke slettes" in result.out
    assert str(target.resolve()) in result.out and "kontrakt" not in result.out
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AttachmentRecord)
                              .where(AttachmentRecord.stored_path == stored)) == 0
