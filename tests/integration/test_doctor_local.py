"""`inbox-worker doctor` on what needs no mail server: the config, the database (SQLite and PostgreSQL), rules,
templates, the web key, the attachments folder. Each fault is its own ✗ line with what to do, and exit 1.

The mail servers are left unconfigured here: their checks fail too, and every assertion names the
checks it is about.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inbox_worker.config import PACKAGED_RULES, PACKAGED_TEMPLATES
from inbox_worker.features.doctor.check import LABELS
from inbox_worker.store.db import MIGRATIONS, head_revision, make_engine, migrate
from tests.doctorrun import closed_port, run_doctor, write_config

LOCAL = {"config", "database", "rules", "templates", "web.secret_key", "storage", "clock"}


def config_for(tmp_path: Path, db_url: str, **sections: dict[str, Any]) -> Path:
    config: dict[str, dict[str, Any]] = {
        "database": {"url": db_url},
        "web": {"secret_key": "en-lang-tilfaeldig-noegle-til-test-0123456789"},
        "storage": {"attachments_dir": str(tmp_path / "attachments")},
    }
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    return write_config(tmp_path / "config.toml", config)


def _migrate(url: str) -> str:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def migrated(db_url: str) -> str:
    """A database at the newest schema, on SQLite and on PostgreSQL."""
    return _migrate(db_url)


@pytest.fixture
def local_db(tmp_path: Path) -> str:
    """For the checks that do not depend on the database: SQLite only."""
    return _migrate(f"sqlite:///{tmp_path / 'inbox.db'}")


def test_the_local_checks_pass_on_a_migrated_database(tmp_path: Path, migrated: str) -> None:
    run = run_doctor(config_for(tmp_path, migrated))
    assert run.marked("✓") & LOCAL == LOCAL, run.out
    assert f"svarer, skema på nyeste version ({head_revision()})" in run.lines["database"]
    assert run.code == 1  # the mail servers are not configured here
    assert "mailbox.host er ikke sat" in run.lines["imap.connect"]


def test_a_database_without_schema_says_run_init_db(tmp_path: Path, db_url: str) -> None:
    run = run_doctor(config_for(tmp_path, db_url))
    assert run.failed & LOCAL == {"database"} and run.lines["database"].endswith("— kør inbox-worker init-db")
    if db_url.startswith("sqlite"):
        assert "findes ikke endnu" in run.lines["database"]
        assert not (tmp_path / "inbox.db").exists()  # doctor creates no database
    else:
        assert "svarer, men har intet skema endnu" in run.lines["database"]


def test_a_database_one_migration_behind_says_run_init_db(tmp_path: Path, db_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    previous = ScriptDirectory.from_config(config).get_revision(head_revision()).down_revision
    engine = make_engine(db_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, str(previous))
    engine.dispose()
    run = run_doctor(config_for(tmp_path, db_url))
    assert f"skema på version {previous}, nyeste er {head_revision()} — kør inbox-worker init-db" in run.lines["database"]


def test_a_database_from_a_newer_version_says_so(tmp_path: Path, migrated: str) -> None:
    engine = create_engine(migrated)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    run = run_doctor(config_for(tmp_path, migrated))
    assert "skemaversion 9999, som denne inbox-worker ikke kender" in run.lines["database"]
    assert run.failed & LOCAL == {"database"}


def test_a_postgresql_server_that_does_not_answer_is_named_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://inbox:hemmeligt-kodeord@127.0.0.1:{closed_port()}/inbox_worker"
    run = run_doctor(config_for(tmp_path, url))
    assert run.failed & LOCAL == {"database"}
    assert f"inbox:***@127.0.0.1:{make_url(url).port}/inbox_worker svarer ikke" in run.lines["database"]
    assert "hemmeligt-kodeord" not in run.out + run.err


def test_a_config_that_does_not_load_fails_first_and_skips_everything_else(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[mailbox]\nhots = "imap.example.dk"\n', encoding="utf-8")
    run = run_doctor(config)
    assert run.code == 1 and run.failed == {"config"} and run.skipped == set(LABELS) - {"config"}
    assert f"{config}: ukendt nøgle 'mailbox.hots'" in run.lines["config"]
    assert run.lines["database"] == "– Database: sprunget over: konfigurationen kunne ikke indlæses"


def test_a_broken_rules_file_names_the_file(tmp_path: Path, local_db: str) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(PACKAGED_RULES, rules)
    (rules / "priority.toml").write_text("[[rule]\nid = 'x'\n", encoding="utf-8")
    run = run_doctor(config_for(tmp_path, local_db, paths={"rules": str(rules)}))
    assert run.failed & LOCAL == {"rules"} and str(rules / "priority.toml") in run.lines["rules"]


def test_a_broken_or_missing_template_names_it_and_its_line(tmp_path: Path, local_db: str) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(PACKAGED_TEMPLATES, templates)
    (templates / "ack" / "ack.da.txt.j2").write_text("Hej {{ name }\n", encoding="utf-8")
    (templates / "summary" / "summary.en.html.j2").unlink()
    (templates / "web" / "queue.html").write_text("{% if x %}\n", encoding="utf-8")
    run = run_doctor(config_for(tmp_path, local_db, paths={"templates": str(templates)}))
    line = run.lines["templates"]
    assert run.failed & LOCAL == {"templates"} and line.startswith("✗ Skabeloner: 3 af ")
    assert "ack/ack.da.txt.j2: linje 1:" in line
    assert "summary/summary.en.html.j2: findes ikke" in line
    assert "web/queue.html: linje 1:" in line


def test_a_template_with_an_unknown_filter_fails(tmp_path: Path, local_db: str) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(PACKAGED_TEMPLATES, templates)
    (templates / "ack" / "ack.en.txt.j2").write_text("Price: {{ 5 | dkkk }}\n", encoding="utf-8")
    run = run_doctor(config_for(tmp_path, local_db, paths={"templates": str(templates)}))
    assert "ack/ack.en.txt.j2: linje 1: No filter named 'dkkk'" in run.lines["templates"]


def test_missing_web_secret_key_fails(tmp_path: Path, local_db: str) -> None:
    run = run_doctor(config_for(tmp_path, local_db, web={"secret_key": ""}))
    assert run.failed & LOCAL == {"web.secret_key"} and "sæt web.secret_key_env" in run.lines["web.secret_key"]


def test_attachments_dir_below_a_regular_file_fails(tmp_path: Path, local_db: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    run = run_doctor(config_for(tmp_path, local_db, storage={"attachments_dir": str(blocker / "attachments")}))
    assert run.failed & LOCAL == {"storage"}
    assert f"{blocker} er en fil, ikke en mappe — ret storage.attachments_dir" in run.lines["storage"]


def test_too_little_free_space_fails(tmp_path: Path, local_db: str) -> None:
    (tmp_path / "attachments").mkdir()
    run = run_doctor(config_for(tmp_path, local_db, storage={"min_free_mb": 10**12}))
    assert run.failed & LOCAL == {"storage"} and "fri, under storage.min_free_mb (1000000000000 MB)" in run.lines["storage"]


def test_an_attachments_dir_that_cannot_be_written_fails(tmp_path: Path, local_db: str) -> None:
    if os.geteuid() == 0:  # root writes through any mode bits: sysfs takes no new files, even from root
        folder = Path("/sys")
    else:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o555)
    run = run_doctor(config_for(tmp_path, local_db, storage={"attachments_dir": str(folder / "attachments")}))
    assert run.failed & LOCAL == {"storage"} and f"kan ikke skrive i {folder} (" in run.lines["storage"]
    assert "giv tjenestebrugeren skriveadgang" in run.lines["storage"]


def test_help_gives_the_description_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from inbox_worker.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "Afslutter med 0, kun når alle tjek består" in out.replace("\n", " ")
    assert "Eksempel:\n  inbox-worker doctor --config /etc/inbox-worker/config.toml" in out
