"""`privacy export` (issue 16, item 1): everything held about a person or a customer, as one zip.

Real mail through the real pipeline (`ingest`, and the runner as the IMAP worker calls it for a mail too large
to take whole): Lone writes from her own address and from her private alias, with an attachment, and one of
her mails is quarantined. Her export holds each of those mails byte for byte (the sha256 stored when it
arrived), the attachment, her tickets, and nothing of another customer's person or of her colleague.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AccessEntry, AuditEntry, Contact, Customer, RawMessage, Ticket
from tests.conftest import MAIL
from tests.mailbuilder import build_mail

Cli = Any
LONE, ALIAS = "lone@bageriet-soerensen.dk", "lone.soerensen@gmail.com"
HOSTILE = "Printeren <script>alert('pwned')</script> driller"
SCREENSHOT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
OTHERS = ("mette@tandlaegerne-aaen.dk", "Mettes røntgenmaskine", "hemmelig-mette-sætning",
          "soeren@bageriet-soerensen.dk", "sørens-egen-sætning")
JSON_FILES = ("person.json", "mails.json", "tickets.json", "time_entries.json", "summaries.json", "outgoing.json",
              "audit.json", "access_log.json", "manifest.json")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(folder: Path, name: str, raw: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(raw)
    return path


@pytest.fixture
def lones_mail(cli: Cli, engine: Engine, settings: Settings, tmp_path: Path) -> dict[str, Any]:
    """Lone's mails (the bytes as ingested, by file name) and her tickets; and mail of others beside them."""
    inbox = tmp_path / "inbox"
    mine = {
        "main.eml": build_mail(subject=HOSTILE, attachment=("skærm billede.png", SCREENSHOT)),
        "alias.eml": build_mail(sender=ALIAS, subject="Fra min private mail", body="Hej\n\nLone-unik-sætning.\n"),
        "truncated.eml": (MAIL / "truncated-multipart.eml").read_bytes(),  # quarantined: cut off mid-attachment
    }
    others = {
        "mette.eml": build_mail(sender=OTHERS[0], name="Mette Aaen", subject=OTHERS[1], body=OTHERS[2]),
    }
    result = cli("ingest", "--json", *(str(write(inbox, n, raw)) for n, raw in {**mine, **others}.items()))
    assert result.code == 0, result.err
    decisions = result.json_lines()
    assert [d["outcome"] for d in decisions] == ["new_ticket", "new_ticket", "quarantined", "new_ticket"]
    first, second = decisions[0]["ticket"], decisions[1]["ticket"]
    # Her colleague answers on her ticket: his words are not hers to receive.
    reply = build_mail(sender=OTHERS[3], name="Søren", subject=f"SV: [MICO #{first}] Printeren", body=OTHERS[4])
    assert cli("ingest", str(write(inbox, "soeren.eml", reply))).code == 0
    # A mail from her alias too large to take whole: the IMAP worker stores it and quarantines it unread.
    big = build_mail(sender=ALIAS, subject="Stor fil", body="x" * 5000)
    runner = Runner(settings, engine)
    assert runner.process(big, "imap:test/INBOX:9", quarantine_reason="for stor (over grænsen)")["outcome"] \
        == "quarantined"
    mine["too-large.eml"] = big
    logged = cli("tickets", "log-time", str(first), "45", "--by", "JH", "--note", "Printer genstartet")
    assert logged.code == 0, logged.err
    with Session(engine) as session:  # the week the tickets were opened in, Copenhagen time
        opened = session.get(Ticket, first)
        assert opened is not None
        year, week, _ = opened.created_at.astimezone(ZoneInfo("Europe/Copenhagen")).isocalendar()
    summary = cli("summary", "send", "--week", f"{year}-W{week:02d}", "--customer", "bageriet")
    assert summary.code == 0 and f"til {LONE}" in summary.out, summary.out  # she is the contact person
    return {"mine": mine, "tickets": {first, second}}


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_persons_export_holds_every_mail_they_sent_byte_for_byte_and_nothing_of_anyone_else(
        cli: Cli, engine: Engine, lones_mail: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "lone.zip"
    result = cli("privacy", "export", ALIAS, "--out", str(out), "--by", "JH")  # her alias finds her

    assert result.code == 0, result.err
    assert "Persondata om Lone Sørensen" in result.out and "4 originale mails (heraf 2 i karantæne)" in result.out
    assert str(out) in result.out and "kB" in result.out
    files = read_zip(out)
    mails = {name: data for name, data in files.items() if name.startswith("mails/")}
    assert all(name.endswith(".eml") for name in mails)
    assert sorted(map(sha, mails.values())) == sorted(map(sha, lones_mail["mine"].values()))
    assert sum(name.startswith("mails/quarantine-") for name in mails) == 2
    with Session(engine) as session:  # what the raw store recorded when each arrived
        stored = {r.id: r.sha256 for r in session.scalars(select(RawMessage))}
    listed = json.loads(files["mails.json"])["mails"]
    assert {m["file"]: m["sha256"] for m in listed} == {name: sha(data) for name, data in mails.items()}
    assert all(stored[m["id"]] == m["sha256"] for m in listed)

    attachments = [data for name, data in files.items() if name.startswith("attachments/")]
    assert attachments == [SCREENSHOT]
    documents = {name: json.loads(files[name]) for name in JSON_FILES}
    assert documents["person.json"]["contact"]["email"] == LONE
    assert ALIAS in documents["person.json"]["addresses"]
    tickets = {t["ticket"]: t for t in documents["tickets.json"]["tickets"]}
    assert set(tickets) == lones_mail["tickets"]
    assert any(t["subject"] == HOSTILE for t in tickets.values())
    assert documents["tickets.json"]["entries_left_out"] == 1  # Søren's reply on her ticket
    assert [e["minutes"] for e in documents["time_entries.json"]["time_entries"]] == [45]
    assert sorted(o["kind"] for o in documents["outgoing.json"]["outgoing"]) == ["ack", "ack", "summary"]
    [summary] = documents["summaries.json"]["summaries"]
    assert summary["recipient"] == LONE and summary["text"].startswith("Hej Lone\n")
    assert summary["file"].startswith("sent/") and b"X-MICO-Kind: summary" in files[summary["file"]]
    assert all(o["recipient"] in (LONE, ALIAS) for o in documents["outgoing.json"]["outgoing"])
    manifest = documents["manifest.json"]
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == \
        {name: sha(data) for name, data in files.items() if name != "manifest.json"}

    everything = b"".join(files.values()).decode("utf-8", "replace")
    for other in OTHERS:
        assert other not in everything

    page = files["index.html"].decode("utf-8")
    assert "Udlevering af persondata" in page and "Lone Sørensen" in page and "Sager (2)" in page
    assert "<script" not in page and "&lt;script&gt;alert(" in page


def test_the_export_is_recorded_in_the_access_log_and_the_audit_log_without_an_address(
        cli: Cli, engine: Engine, lones_mail: dict[str, Any], tmp_path: Path) -> None:
    assert cli("privacy", "export", LONE, "--out", str(tmp_path / "l.zip"), "--by", "JH").code == 0
    with Session(engine) as session:
        lone = session.scalar(select(Contact).where(Contact.email == LONE))
        bageriet = session.scalar(select(Customer).where(Customer.key == "bageriet"))
        assert lone is not None and bageriet is not None
        access = session.scalars(select(AccessEntry)).all()
        assert [(a.actor, a.action, a.customer_id, a.what) for a in access] == \
            [("JH", "export", bageriet.id, f"person #{lone.id}")]
        audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy-export"))
        assert audit is not None and (audit.actor, audit.customer_id) == ("JH", bageriet.id)
        assert audit.details["what"] == f"person #{lone.id}" and audit.details["counts"]["mails"] == 4
        assert "@" not in json.dumps(audit.details)
    again = read_zip_after(cli, tmp_path)  # a second export lists the first in its logs
    assert [a["what"] for a in json.loads(again["access_log.json"])["access_log"]] == [f"person #{lone.id}"]
    assert [a["action"] for a in json.loads(again["audit.json"])["audit"]] == ["privacy-export"]


def read_zip_after(cli: Cli, tmp_path: Path) -> dict[str, bytes]:
    assert cli("privacy", "export", LONE, "--out", str(tmp_path / "again.zip"), "--by", "KB").code == 0
    return read_zip(tmp_path / "again.zip")


def test_a_customers_export_holds_all_its_people_and_tickets_and_none_of_another_customer(
        cli: Cli, lones_mail: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("privacy", "export", "--customer", "bageriet", "--by", "JH")

    assert result.code == 0, result.err
    files = read_zip(tmp_path / "privacy-bageriet.zip")  # the default name
    customer = json.loads(files["customer.json"])
    assert customer["customer"]["key"] == "bageriet" and LONE in [c["email"] for c in customer["contacts"]]
    mails = [data for name, data in files.items() if name.startswith("mails/")]
    assert len(mails) == 5 and b"s\xc3\xb8rens-egen-s\xc3\xa6tning" in b"".join(mails)  # Søren's reply too
    tickets = {t["ticket"] for t in json.loads(files["tickets.json"])["tickets"]}
    assert tickets == lones_mail["tickets"]
    everything = b"".join(files.values()).decode("utf-8", "replace")
    assert all(other not in everything for other in OTHERS[:3])
    # The same data gives the members in the same order.
    assert cli("privacy", "export", "--customer", "bageriet", "--out", "again.zip", "--by", "JH").code == 0
    with zipfile.ZipFile(tmp_path / "privacy-bageriet.zip") as one, zipfile.ZipFile(tmp_path / "again.zip") as two:
        assert one.namelist() == two.namelist()
        assert [one.read(n) for n in one.namelist() if n.startswith(("mails/", "attachments/"))] == \
            [two.read(n) for n in two.namelist() if n.startswith(("mails/", "attachments/"))]


def test_an_address_without_a_contact_is_a_person_too(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    raw = build_mail(sender="kim@ukendt-firma.dk", name="Kim", subject="Tilbud på kopimaskine")
    ingested = cli("ingest", "--json", str(write(tmp_path / "in", "kim.eml", raw)))
    assert ingested.code == 0 and ingested.json_lines()[0]["customer"] is None

    result = cli("privacy", "export", "Kim@Ukendt-Firma.dk", "--out", str(tmp_path / "kim.zip"), "--by", "JH")

    assert result.code == 0, result.err
    files = read_zip(tmp_path / "kim.zip")
    assert [sha(d) for n, d in files.items() if n.startswith("mails/")] == [sha(raw)]
    assert json.loads(files["person.json"])["contact"] is None
    with Session(engine) as session:
        what = session.scalar(select(AccessEntry.what))
        first = session.scalar(select(RawMessage.id))
    assert what == f"person without contact (mail #{first})"


@pytest.mark.parametrize(("args", "named"), [
    (["nogen@ingen-steder.dk"], "nogen@ingen-steder.dk"), (["--customer", "findes-ikke"], "'findes-ikke'"),
    (["ikke-en-adresse"], "'ikke-en-adresse'")])
def test_nobody_to_export_is_one_danish_line_and_no_file(cli: Cli, engine: Engine, tmp_path: Path,
                                                          args: list[str], named: str) -> None:
    result = cli("privacy", "export", *args, "--out", str(tmp_path / "x.zip"), "--by", "JH")
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and named in result.err and "privacy export:" in result.err
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".x.zip*")) == []


def test_an_unwritable_place_leaves_nothing_behind_and_records_nothing(cli: Cli, engine: Engine,
                                                                      lones_mail: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    result = cli("privacy", "export", LONE, "--out", str(tmp_path / "findes-ikke" / "l.zip"), "--by", "JH")
    assert result.code == 2 and "kan ikke skrive" in result.err and result.err.count("\n") == 1
    with Session(engine) as session:
        assert session.scalars(select(AccessEntry)).all() == []


def test_an_edited_templates_folder_without_the_index_template_is_one_danish_line(
        cli: Cli, settings: Settings, lones_mail: dict[str, Any], tmp_path: Path) -> None:
    import shutil

    from inbox_worker.config import PACKAGED_TEMPLATES
    from tests.conftest import write_config

    templates = tmp_path / "mico" / "templates"  # copied before issue 16: no privacy/ folder
    shutil.copytree(PACKAGED_TEMPLATES, templates, ignore=shutil.ignore_patterns("privacy"))
    config = write_config(tmp_path, settings)
    config.write_text(config.read_text(encoding="utf-8") + f'[paths]\ntemplates = "{templates}"\n', encoding="utf-8")

    result = cli("privacy", "export", LONE, "--out", str(tmp_path / "l.zip"), "--by", "JH", config=config)

    assert result.code == 2 and result.err.count("\n") == 1
    assert "privacy/index.da.html.j2 findes ikke" in result.err and "rules copy" in result.err
    assert not (tmp_path / "l.zip").exists() and list(tmp_path.glob(".l.zip*")) == []
