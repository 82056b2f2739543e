"""Attacks on `privacy erase` and `privacy export` (issue 16): mail shaped the way real mail hides a person.

Each test ingests real mail (.eml built with the email package, through the CLI's ingest), erases or exports
through main(), and scans every value of every table, the full-text index and the attachments folder
(tests/privacyscan.py). SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import zipfile
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.store.models import OutboxMessage, RawMessage, Ticket
from inbox_worker.store.search import hits
from tests.mailbuilder import build_mail
from tests.privacyscan import traces

LONE, ALIAS, NAME = "lone@bageriet-soerensen.dk", "lone.soerensen@gmail.com", "Lone Sørensen"  # +45 21 43 65 87
METTE, METTES_NAME = "mette@tandlaegerne-aaen.dk", "Mette Kjærgaard"  # another customer's person


def _ingest(cli: Any, tmp_path: Path, mails: list[bytes]) -> list[dict[str, Any]]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, raw in enumerate(mails, start=1):
        (inbox / f"{number:02d}.eml").write_bytes(raw)
    result = cli("ingest", "--json", str(inbox))
    assert result.code == 0, result.err
    return result.json_lines()


def _html_mail(sender: str, name: str, subject: str, html: str, message_id: str, cte: str) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((name, sender))
    message["To"] = "support@mico.dk"
    message["Subject"] = subject
    message["Date"] = "Fri, 20 Nov 2026 10:12:00 +0100"
    message["Message-ID"] = message_id
    message.set_content(html, subtype="html", cte=cte)
    return message.as_bytes()


def _erase(cli: Any, address: str = LONE) -> str:
    result = cli("privacy", "erase", address, "--reason", "Anmodning", "--by", "JH")
    assert result.code == 0, result.err
    return str(result.out)


def _billing(cli: Any, tmp_path: Path, name: str) -> list[dict[str, str]]:
    out = tmp_path / name
    result = cli("billing", "export", "--quarter", "2026-Q4", "--out", str(out))
    assert result.code == 0, result.err
    return [{k: v for k, v in row.items() if k != "description"}
            for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))]


def _searchable(engine: Engine, needle: str) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(hits(needle, engine.dialect.name))) or 0)


def test_her_phone_number_in_any_usual_grouping_on_another_customers_ticket_is_erased(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path) -> None:
    """Mette (another customer) passes on Lone's number as people write it: the cheap filter in SQL found only
    "21 43 65 87" and "21436587", so "2143 6587" and "21-43-65-87" stayed in Mette's mail, its thread entry,
    the search index and a time-entry note."""
    forms = ("2143 6587", "21-43-65-87", "21.43.65.87", "0045 2143 6587")
    [decision] = _ingest(cli, tmp_path, [build_mail(
        sender=METTE, name=METTES_NAME, subject="Netværket", message_id="<n1@tandlaegerne-aaen.dk>",
        body=f"Hej\n\nLone fra bageriet sagde I kunne hjælpe. Ring evt. til hende på {forms[0]} eller {forms[1]}, "
             f"hjemme {forms[2]}, fra udlandet {forms[3]}.\n\nMette")])
    ticket = str(decision["ticket"])
    assert cli("tickets", "log-time", ticket, "20", "--by", "JH", "--billable", "--date", "2026-11-20",
               "--note", f"Ringede til bagerens nummer {forms[0]}").code == 0
    folder = Path(settings.storage.attachments_dir)
    assert {t[2] for t in traces(engine, folder, list(forms))} == {f.casefold() for f in forms}
    before = _billing(cli, tmp_path, "before.csv")

    _erase(cli)

    assert traces(engine, folder, list(forms)) == []
    assert _searchable(engine, "2143 6587") == 0
    assert _billing(cli, tmp_path, "after.csv") == before
    with Session(engine) as session:  # Mette's ticket stays hers: only Lone's number is gone from it
        kept = session.get(Ticket, decision["ticket"])
        assert kept is not None and kept.from_address == METTE and kept.subject == "Netværket"


def test_a_mail_naming_her_only_behind_an_encoding_is_erased(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path) -> None:
    """Another customer's mails that name Lone where the stored bytes do not show it as written: an HTML alt
    text in quoted-printable, an attachment file name in RFC 2231, her name as an HTML entity, and her
    phone split by a quoted-printable soft line break. The bytes scan looked for her address and name as
    written only, so these mails stayed whole."""
    long_line = "Vi har en gammel aftale med bageriet om at dele netværket, og kontaktpersonen dér har tlf. "
    mails = [
        _html_mail(METTE, METTES_NAME, "Billedet", '<p>Se billedet.</p><img src="cid:x" alt="Lone Sørensen ved '
                   'kassen">', "<h1@tandlaegerne-aaen.dk>", "quoted-printable"),
        build_mail(sender=METTE, name=METTES_NAME, subject="Kontrakten", message_id="<h2@tandlaegerne-aaen.dk>",
                   body="Hej\n\nHer er kontrakten.\n\nMette", attachment=(f"{NAME} kontrakt.pdf", b"%PDF-1.4 x")),
        _html_mail(METTE, METTES_NAME, "Reference", "<p>Spørg Lone S&oslash;rensen om en reference.</p>",
                   "<h3@tandlaegerne-aaen.dk>", "8bit"),
        _html_mail(METTE, METTES_NAME, "Netværket", f"<p>{long_line}21436587.</p>", "<h4@tandlaegerne-aaen.dk>",
                   "quoted-printable"),
    ]
    assert b"=\n" in mails[3] or b"=\r\n" in mails[3]  # a soft line break in it
    decisions = _ingest(cli, tmp_path, mails)
    folder = Path(settings.storage.attachments_dir)
    assert len(traces(engine, folder, [NAME, "21436587"])) >= 3

    _erase(cli)

    assert traces(engine, folder, [NAME, "21436587", "S&oslash;rensen"]) == []
    with Session(engine) as session:  # the mails that named her went; Mette's tickets stay
        assert session.scalar(select(func.count()).select_from(RawMessage)) == 0
        assert [t.from_address for t in session.scalars(select(Ticket).order_by(Ticket.id))] == [METTE] * 4
    assert {d["ticket"] for d in decisions} == {1, 2, 3, 4}


def test_mail_from_her_subaddress_is_hers_on_erase(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path) -> None:
    """lone+faktura@ is Lone's mailbox (plus addressing): her ticket from it lost neither its text nor its
    recipient in the outbox, because the erasure matched addresses exactly."""
    phrase = "hindbærsnitter på kvitteringsprinteren"
    decisions = _ingest(cli, tmp_path, [
        build_mail(message_id="<t1@bageriet-soerensen.dk>", subject="Kassen"),
        build_mail(sender="lone+faktura@bageriet-soerensen.dk", message_id="<t2@bageriet-soerensen.dk>",
                   subject="Fakturaerne", body=f"Hej\n\nDer sidder {phrase}.\n\nLone"),
    ])
    assert decisions[1]["ticket"] == 2
    folder = Path(settings.storage.attachments_dir)

    out = _erase(cli)

    assert "2 sager står nu uden emne og tekst" in out
    assert traces(engine, folder, ["lone+faktura", phrase, LONE, NAME]) == []
    assert _searchable(engine, "hindbærsnitter") == 0
    with Session(engine) as session:
        assert "lone" not in " ".join(session.scalars(select(OutboxMessage.recipient))).lower()


def test_the_export_holds_mail_from_her_subaddress(cli: Any, engine: Engine, tmp_path: Path) -> None:
    _ingest(cli, tmp_path, [
        build_mail(message_id="<u1@bageriet-soerensen.dk>", subject="Kassen"),
        build_mail(sender="lone+faktura@bageriet-soerensen.dk", message_id="<u2@bageriet-soerensen.dk>",
                   subject="Fakturaerne"),
        build_mail(sender=ALIAS.upper(), message_id="<u3@gmail.com>", subject="Fra telefonen"),
    ])
    out = tmp_path / "lone.zip"
    result = cli("privacy", "export", LONE, "--out", str(out), "--by", "JH")

    assert result.code == 0, result.err
    mails = [n for n in zipfile.ZipFile(out).namelist() if n.startswith("mails/")]
    assert len(mails) == 3, mails
