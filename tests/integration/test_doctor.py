"""`inbox-worker doctor` against a real Dovecot, a real aiosmtpd and SQLite/PostgreSQL: all ✓, then one fault at a time.

Each fault must show as its own ✗ line (with what to do), the checks that needed it as skipped, and a
non-zero exit; the others stay ✓. Nothing is sent, created or printed that should not be.
"""

from __future__ import annotations

import json
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inbox_worker.features.doctor.check import LABELS
from inbox_worker.store.db import make_engine, migrate
from tests.doctorrun import (
    IMAP_PASSWORD_ENV,
    SMTP_PASSWORD,
    SMTP_PASSWORD_ENV,
    WEB_KEY,
    WEB_KEY_ENV,
    SmtpRecorder,
    closed_port,
    run_doctor,
    smtp_server,
    write_config,
)


@pytest.fixture
def mail_servers(dovecot: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, SmtpRecorder]]:
    with dovecot.client() as client:
        client.create_folder("Behandlet")
    monkeypatch.setenv(IMAP_PASSWORD_ENV, dovecot.password)
    monkeypatch.setenv(SMTP_PASSWORD_ENV, SMTP_PASSWORD)
    monkeypatch.setenv(WEB_KEY_ENV, WEB_KEY)
    with smtp_server() as smtp:
        yield dovecot, smtp


def healthy(tmp_path: Path, db_url: str, dovecot: Any, smtp: SmtpRecorder) -> dict[str, dict[str, Any]]:
    """A config under which every check passes; each test below breaks one thing in it."""
    migrate(make_engine(db_url))
    return {
        "database": {"url": db_url},
        "mailbox": {"host": "127.0.0.1", "port": dovecot.port, "ssl": False, "username": dovecot.user,
                    "password_env": IMAP_PASSWORD_ENV, "processed_folder": "Behandlet", "timeout_seconds": 10.0},
        "smtp": {"host": smtp.host, "port": smtp.port, "starttls": True, "username": "support@mico.dk",
                 "password_env": SMTP_PASSWORD_ENV, "ca_file": smtp.ca_file},
        "web": {"secret_key_env": WEB_KEY_ENV},
        "storage": {"attachments_dir": str(tmp_path / "attachments")},
    }


def broken(tmp_path: Path, dovecot: Any, smtp: SmtpRecorder, section: str, **values: Any) -> Path:
    config = healthy(tmp_path, f"sqlite:///{tmp_path / 'inbox.db'}", dovecot, smtp)
    config[section] = {**config[section], **values}
    return write_config(tmp_path / "config.toml", config)


def test_every_check_passes_against_real_servers(tmp_path: Path, db_url: str, mail_servers: Any) -> None:
    dovecot, smtp = mail_servers
    run = run_doctor(write_config(tmp_path / "config.toml", healthy(tmp_path, db_url, dovecot, smtp)))
    assert run.code == 0, run.out
    assert set(run.lines) == set(LABELS) and run.marked("✓") == set(LABELS), run.out
    assert "svarer, skema på nyeste version" in run.lines["database"]
    assert "support@mico.dk logget ind (LOGIN, adgangskode fra $DOCTOR_IMAP_PASSWORD)" in run.lines["imap.login"]
    assert run.lines["imap.capabilities"] == "✓ IMAP-funktioner: IDLE og MOVE"
    assert run.lines["smtp.starttls"] == "✓ SMTP-kryptering: STARTTLS"
    assert "logget ind (intet sendt)" in run.lines["smtp.login"]
    assert run.out.rstrip().endswith("Alt i orden: 15 tjek bestået.")
    assert smtp.mail_from == [] and smtp.messages == []  # connected, secured, logged in: never MAIL FROM
    for secret in (dovecot.password, SMTP_PASSWORD, WEB_KEY):
        assert secret not in run.out + run.err


def test_json_gives_one_object_per_check_in_english_keys(tmp_path: Path, mail_servers: Any) -> None:
    dovecot, smtp = mail_servers
    run = run_doctor(broken(tmp_path, dovecot, smtp, "mailbox", folder="Indbakke"), "--json")
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert run.code == 1
    assert [row["name"] for row in rows] == list(LABELS)
    assert {row["name"] for row in rows if not row["ok"]} == {"imap.folder"}
    folder = next(row for row in rows if row["name"] == "imap.folder")
    assert set(folder) == {"name", "ok", "status", "detail", "advice"} and folder["status"] == "failed"
    assert "ret mailbox.folder" in folder["advice"]


def test_wrong_imap_password_fails_the_login_and_skips_what_needs_it(tmp_path: Path, mail_servers: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot, smtp = mail_servers
    monkeypatch.setenv(IMAP_PASSWORD_ENV, "forkert-kodeord-99")
    run = run_doctor(broken(tmp_path, dovecot, smtp, "mailbox"))
    assert run.code == 1
    assert run.failed == {"imap.login"}
    assert run.skipped == {"imap.capabilities", "imap.folder", "imap.processed_folder"}
    assert f"login afvist for {dovecot.user} på 127.0.0.1:{dovecot.port}" in run.lines["imap.login"]
    assert "ret adgangskoden i $DOCTOR_IMAP_PASSWORD" in run.lines["imap.login"]
    assert run.lines["imap.folder"] == "– IMAP-mappe: sprunget over: login mislykkedes"
    assert "forkert-kodeord-99" not in run.out + run.err


def test_missing_folder_names_the_folders_the_server_has(tmp_path: Path, mail_servers: Any) -> None:
    dovecot, smtp = mail_servers
    run = run_doctor(broken(tmp_path, dovecot, smtp, "mailbox", folder="Indbakke"))
    assert run.code == 1 and run.failed == {"imap.folder"}
    assert "mappen 'Indbakke' findes ikke" in run.lines["imap.folder"]
    assert "ret mailbox.folder (serveren har: " in run.lines["imap.folder"] and "Behandlet" in run.lines["imap.folder"]


def test_missing_processed_folder_fails_and_is_not_created(tmp_path: Path, mail_servers: Any) -> None:
    dovecot, smtp = mail_servers
    run = run_doctor(broken(tmp_path, dovecot, smtp, "mailbox", processed_folder="Færdig"))
    assert run.code == 1 and run.failed == {"imap.processed_folder"}
    assert "mappen 'Færdig' findes ikke" in run.lines["imap.processed_folder"]
    assert "opret den på serveren" in run.lines["imap.processed_folder"]
    with dovecot.client() as client:
        assert not client.folder_exists("Færdig")  # doctor looks; it does not change the mailbox


def test_closed_ports_fail_the_connections_at_once(tmp_path: Path, mail_servers: Any) -> None:
    dovecot, smtp = mail_servers
    config = healthy(tmp_path, f"sqlite:///{tmp_path / 'inbox.db'}", dovecot, smtp)
    config["mailbox"]["port"], config["smtp"]["port"] = closed_port(), closed_port()
    run = run_doctor(write_config(tmp_path / "config.toml", config))
    assert run.code == 1 and run.failed == {"imap.connect", "smtp.connect"}
    assert run.skipped == {"imap.login", "imap.capabilities", "imap.folder", "imap.processed_folder",
                           "smtp.starttls", "smtp.login"}
    assert "forbindelsen blev afvist" in run.lines["imap.connect"] and "mailbox.port" in run.lines["imap.connect"]
    assert "forbindelsen blev afvist" in run.lines["smtp.connect"] and "smtp.port" in run.lines["smtp.connect"]
    assert run.lines["smtp.login"] == "– SMTP-login: sprunget over: ingen forbindelse til SMTP-serveren"


def test_servers_that_accept_but_never_answer_fail_after_the_timeout(tmp_path: Path, mail_servers: Any) -> None:
    dovecot, smtp = mail_servers
    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = healthy(tmp_path, f"sqlite:///{tmp_path / 'inbox.db'}", dovecot, smtp)
        config["mailbox"].update(port=silent.getsockname()[1], timeout_seconds=1.0)
        config["smtp"].update(port=silent.getsockname()[1], timeout_seconds=1.0)
        run = run_doctor(write_config(tmp_path / "config.toml", config))
    assert run.code == 1 and run.failed == {"imap.connect", "smtp.connect"}
    assert "intet svar inden for 1 s" in run.lines["imap.connect"]
    assert "intet svar inden for 1 s" in run.lines["smtp.connect"]


def test_wrong_smtp_password_fails_the_smtp_login(tmp_path: Path, mail_servers: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot, smtp = mail_servers
    monkeypatch.setenv(SMTP_PASSWORD_ENV, "ikke-den-rigtige")
    run = run_doctor(broken(tmp_path, dovecot, smtp, "smtp"))
    assert run.code == 1 and run.failed == {"smtp.login"}
    assert f"login afvist for support@mico.dk på 127.0.0.1:{smtp.port} (535" in run.lines["smtp.login"]
    assert "ikke-den-rigtige" not in run.out and smtp.mail_from == []


def test_smtp_server_without_starttls_fails_the_encryption(tmp_path: Path, mail_servers: Any) -> None:
    dovecot, _ = mail_servers
    with smtp_server(starttls=False) as plain:
        run = run_doctor(broken(tmp_path, dovecot, plain, "smtp"))
    assert run.code == 1 and run.failed == {"smtp.starttls"}
    assert "serveren tilbyder ikke STARTTLS" in run.lines["smtp.starttls"]
    assert run.skipped == {"smtp.login"}  # the password is not sent over a plain connection


def test_non_ascii_password_logs_in_with_authenticate_plain(tmp_path: Path, mail_servers: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.dovecot import Dovecot

    _, smtp = mail_servers
    server = Dovecot(Path(tempfile.mkdtemp(prefix="dovecot-")), password="blåbærgrød-42").start()
    try:
        monkeypatch.setenv(IMAP_PASSWORD_ENV, server.password)
        run = run_doctor(broken(tmp_path, server, smtp, "mailbox", processed_folder=""))
    finally:
        server.stop()
    assert run.code == 0, run.out
    assert "(AUTHENTICATE PLAIN, adgangskode fra $DOCTOR_IMAP_PASSWORD)" in run.lines["imap.login"]
    assert "ikke sat: behandlet post bliver i INBOX" in run.lines["imap.processed_folder"]


def test_xoauth2_token_sources_are_checked_and_never_shown(tmp_path: Path, mail_servers: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot, smtp = mail_servers
    failing = run_doctor(broken(tmp_path, dovecot, smtp, "mailbox", auth="xoauth2", oauth_token_command="false"))
    assert failing.failed == {"imap.login"} and "oauth_token_command fejlede" in failing.lines["imap.login"]
    monkeypatch.setenv("DOCTOR_TOKEN", "ya29.token-som-ikke-maa-ses")
    refused = run_doctor(broken(tmp_path, dovecot, smtp, "mailbox", auth="xoauth2", oauth_token_env="DOCTOR_TOKEN"))
    assert refused.code == 1 and refused.failed == {"imap.login"}  # this Dovecot has no XOAUTH2
    assert "login afvist" in refused.lines["imap.login"] and "forny tokenet" in refused.lines["imap.login"]
    assert "token-som-ikke-maa-ses" not in refused.out + refused.err


def test_an_smtp_certificate_nobody_vouches_for_fails_before_the_password_is_sent(
        tmp_path: Path, mail_servers: Any) -> None:
    dovecot, smtp = mail_servers
    run = run_doctor(broken(tmp_path, dovecot, smtp, "smtp", ca_file=""))  # the server's CA is not trusted
    assert run.code == 1 and run.failed == {"smtp.starttls"}, run.out
    assert run.skipped == {"smtp.login"} and smtp.mail_from == []
    assert SMTP_PASSWORD not in run.out + run.err
