"""The commands of shared/docs/interface.md, driven exactly as scripts outside the project drive them."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO, MAIL, ROOT

Cli = Any


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepared(cli: Cli) -> None:
    assert cli("init-db").code == 0
    assert cli("registry", "import", str(DEMO / "registry.toml")).code == 0


def test_ingest_json_prints_one_decision_per_message_in_input_order(cli: Cli) -> None:
    prepared(cli)
    files = [MAIL / "plain-danish-utf8-qp.eml", MAIL / "binary-garbage.eml", MAIL / "auto-reply-x-autoreply.eml"]

    result = cli("ingest", "--json", *map(str, files))

    assert result.code == 0, result.err
    decisions = result.json_lines()
    assert [d["outcome"] for d in decisions] == ["new_ticket", "quarantined", "ignored"]
    coverage = decisions[0]["coverage"]
    assert coverage["status"] in ("covered", "billable", "undetermined") and coverage["rule"] and coverage["reason"]


def test_ingest_accepts_a_maildir(cli: Cli, tmp_path: Path) -> None:
    prepared(cli)
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.1.host").write_bytes((MAIL / "latin1-8bit.eml").read_bytes())
    (maildir / "cur" / "1700000001.2.host:2,S").write_bytes((MAIL / "plain-danish-utf8-qp.eml").read_bytes())

    decisions = cli("ingest", "--json", str(maildir)).json_lines()

    assert [d["outcome"] for d in decisions] == ["new_ticket", "new_ticket"]
    assert all(d["outcome"] == "duplicate" for d in cli("ingest", "--json", str(maildir)).json_lines())


def test_explain_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    prepared(cli)
    cli("ingest", str(DEMO / "inbox"))
    database = tmp_path / "inbox.db"
    if not database.exists():
        pytest.skip("checksum check is for the SQLite file")
    # The command closed its connections when it ended, so SQLite folded its write-ahead log into the
    # file then, not later when a forgotten engine happened to be collected (during explain, say).
    assert not database.with_name("inbox.db-wal").exists()
    before = sha(database)
    attachments = sorted(p.name for p in (tmp_path / "attachments").rglob("*"))

    result = cli("explain", str(DEMO / "inbox" / "07-backup-fejlet-server-langsom.eml"))
    fresh = cli("explain", str(MAIL / "attachment-rfc2231-filename.eml"))

    assert result.code == 0 and fresh.code == 0, result.err + fresh.err
    assert json.loads(result.out)["outcome"] == "duplicate"
    explained = json.loads(fresh.out)
    # The number ingest will give the new ticket (20 demo tickets exist), though nothing is written.
    assert explained["outcome"] == "new_ticket" and explained["ticket"] == 21
    assert {entry["stage"] for entry in explained["trace"]} >= {"guard", "link", "thread", "priority", "coverage"}
    assert sha(database) == before
    assert sorted(p.name for p in (tmp_path / "attachments").rglob("*")) == attachments
    assert cli("ingest", "--json", str(MAIL / "attachment-rfc2231-filename.eml")).json_lines()[0]["ticket"] == 21


def test_explain_without_any_database_creates_none(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "none.db"}"\n')
    result = subprocess.run([sys.executable, "-m", "inbox_worker", "--config", str(config), "explain",
                             str(MAIL / "plain-danish-utf8-qp.eml")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["review"] == ["unknown-sender"]
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("registry, expected", [
    ('[[contact]]\ncustomer = "nobody"\nemail = "a@b.dk"\nname = "A"\n', "[[contact]] #1 (a@b.dk): ukendt kundenøgle 'nobody'"),
    ('[[customer]]\nkey = "x"\nname = "X"\nagreement = "gold"\n', "'agreement' skal være en af"),
    ('[[customer]]\nkey = "x"\nname = "X"\nagreement = "active"\npackages = ["MCOSAXXX"]\n', "ukendt pakke 'MCOSAXXX'"),
    ('[[customer]]\nkey = "x"\nname = "X"\nagreement = "none"\n[[contact]]\ncustomer = "x"\nemail = "not-an-address"\nname = "N"\n',
     "ikke en gyldig mailadresse"),
    ('[[customer]]\nkey = "x"\nname = "X"\nagreement = "none"\n'
     '[[device]]\ncustomer = "x"\ntag = "T1"\nkind = "computer"\n[[device]]\ncustomer = "x"\ntag = "T1"\nkind = "printer"\n',
     "enhedsmærket 'T1' står der to gange"),
    ("this is = not toml [", "ikke gyldig TOML"),
])
def test_a_bad_registry_is_refused_with_one_line(cli: Cli, tmp_path: Path, registry: str, expected: str) -> None:
    prepared(cli)
    bad = tmp_path / "bad.toml"
    bad.write_text(registry, encoding="utf-8")

    result = cli("registry", "import", str(bad))

    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1
    assert str(bad) in result.err and expected in result.err
    assert "Traceback" not in result.err


def test_reimporting_the_registry_updates_in_place(cli: Cli) -> None:
    prepared(cli)
    again = cli("registry", "import", str(DEMO / "registry.toml"))
    assert again.code == 0
    assert "kunder 0 nye" in again.out and "kontakter 0 nye" in again.out and "enheder 0 nye" in again.out


@pytest.mark.parametrize("config, expected", [
    ("[database]\nurll = 'x'\n", "ukendt nøgle 'database.urll'"),
    ("[smtp]\nport = 'twenty-five'\n", "nøglen 'smtp.port' skal være et helt tal, ikke 'twenty-five'"),
    ("[mailbox]\npassword_env = 'SURELY_NOT_SET_X1'\n", "SURELY_NOT_SET_X1"),
    ("[nonsense]\n", "ukendt afsnit [nonsense]"),
    ("[company]\nhours = 'all day'\n", "company.hours"),
])
def test_a_bad_config_is_refused_with_one_line(cli: Cli, tmp_path: Path, config: str, expected: str) -> None:
    path = tmp_path / "bad-config.toml"
    path.write_text(config)
    result = cli("tickets", "list", config=path)
    assert result.code != 0 and expected in result.err and str(path) in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_commands_on_a_database_without_schema_say_what_to_do(cli: Cli) -> None:
    result = cli("tickets", "list")
    assert result.code != 0 and "inbox-worker init-db" in result.err


def test_tickets_list_json_has_the_contract_fields(cli: Cli) -> None:
    prepared(cli)
    cli("ingest", str(DEMO / "inbox"))

    rows = cli("tickets", "list", "--json").json_lines()

    assert len(rows) >= 15
    for row in rows:
        assert set(row) >= {"ticket", "subject", "from", "customer", "contact", "status", "category", "priority",
                            "coverage", "created", "updated"}
    assert cli("tickets", "list", "--json", "--status", "closed").json_lines() == []


def test_demo_prints_a_queue_of_at_least_15_tickets(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "inbox_worker", "demo"], cwd=tmp_path, capture_output=True,
                            text=True, check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "inbox.db").exists()
    tickets = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert len(tickets) >= 15
    assert any("bageriet" in line and "Printeren" in line for line in tickets)


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "inbox-worker"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0 and "ingest" in result.stdout
