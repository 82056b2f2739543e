"""The logs of real runs: `ingest` and `poll --once` against Dovecot, in text and JSON, never with a secret in them."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inbox_worker.config import Settings
from tests.integration.test_imap_worker import mails, write_worker_config

DEMO_INBOX = Path(__file__).resolve().parents[2] / "inbox_worker" / "demo" / "inbox"
DEMO_REGISTRY = DEMO_INBOX.parent / "registry.toml"
SMTP_SECRET = "smtp-hemmelighed-æøå-77"
WEB_SECRET = "web-nøgle-0f9e8d7c6b5a"


def inbox_worker(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "inbox_worker", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=180, env={"PATH": "/usr/bin:/bin"})


def with_logging(config: Path, fmt: str, level: str, *, imap_password: str | None = None) -> Path:
    """The config plus `[logging]`, secrets for SMTP and the web written in it, and the IMAP password too."""
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    if imap_password is not None:
        text = text.replace('password_env = "TEST_IMAP_PASSWORD"\n', f"password = {json.dumps(imap_password)}\n")
    text = text.replace("[smtp]\n", f"[smtp]\npassword = {json.dumps(SMTP_SECRET)}\n") if "[smtp]" in text else (
        text + f"[smtp]\npassword = {json.dumps(SMTP_SECRET)}\n")
    config.write_text(text + f'[web]\nsecret_key = {json.dumps(WEB_SECRET)}\n[logging]\nformat = "{fmt}"\n'
                      f'level = "{level}"\n', encoding="utf-8")
    return config


def assert_no_secret(output: str, *secrets: str) -> None:
    for secret in secrets:
        for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
            assert form not in output, f"{form!r} was logged"


def json_lines(err: str) -> list[dict[str, Any]]:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_an_ingest_logs_one_json_event_per_mail_with_its_fields_and_no_secret(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "inbox.db"}"\n'
                      f'[storage]\nattachments_dir = "{tmp_path / "attachments"}"\n', encoding="utf-8")
    with_logging(config, "json", "info")
    assert inbox_worker(config, "init-db").returncode == 0
    assert inbox_worker(config, "registry", "import", str(DEMO_REGISTRY)).returncode == 0

    run = inbox_worker(config, "ingest", "--json", str(DEMO_INBOX))

    assert run.returncode == 0, run.stderr[-2000:]
    decisions = [json.loads(line) for line in run.stdout.splitlines()]
    events = [record for record in json_lines(run.stderr) if record.get("event") == "mail"]
    files = sorted(DEMO_INBOX.glob("*.eml"))
    assert [Path(event["file"]).name for event in events] == [path.name for path in files]
    for event, decision in zip(events, decisions, strict=True):
        assert (event["uid"], event["message_id"], event["outcome"], event["ticket"]) == (
            None, decision["message_id"], decision["outcome"], decision["ticket"])
        assert isinstance(event["ms"], int | float) and event["ms"] >= 0
        assert event["level"] == "INFO" and event["timestamp"].endswith("+00:00")
    assert {event["outcome"] for event in events} >= {"new_ticket", "ignored"}
    assert_no_secret(run.stdout + run.stderr, SMTP_SECRET, WEB_SECRET)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_wrong_imap_password_in_the_config_is_never_logged(
    fmt: str, imap_settings: Settings, dovecot: Any, tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a login failure involves no database: once, on SQLite, is enough")
    wrong = "forkert-hemmelighed-æøå-123"  # not ASCII: sent by AUTHENTICATE PLAIN, base64 on the wire
    config = write_worker_config(tmp_path / "worker.toml", imap_settings)
    config.write_text(config.read_text().replace("timeout_seconds = 10.0\n", "timeout_seconds = 10.0\n"
                                                 "retry_max_seconds = 1\n"), encoding="utf-8")
    with_logging(config, fmt, "debug", imap_password=wrong)  # debug: the IMAP client's own protocol log too
    assert inbox_worker(config, "init-db").returncode == 0

    run = inbox_worker(config, "poll", "--once")

    assert run.returncode != 0 and "LoginError" in run.stderr
    assert run.stderr.count("retrying") >= 3
    plain_token = base64.b64encode(f"\0{dovecot.user}\0{wrong}".encode()).decode()
    assert_no_secret(run.stdout + run.stderr, wrong, plain_token, SMTP_SECRET, WEB_SECRET)
    if fmt == "json":  # all but the command's own last line ("inbox-worker: mailbox …") are JSON
        json_lines("\n".join(run.stderr.splitlines()[:-1]))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_poll_logs_each_mail_with_its_uid_and_never_the_password(
    fmt: str, imap_settings: Settings, dovecot: Any, tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("logging involves no database: once, on SQLite, is enough")
    config = with_logging(write_worker_config(tmp_path / "worker.toml", imap_settings), fmt, "debug",
                          imap_password=dovecot.password)
    assert inbox_worker(config, "init-db").returncode == 0
    dovecot.append(mails(3))

    run = inbox_worker(config, "poll", "--once")

    assert run.returncode == 0, run.stderr[-2000:]
    assert_no_secret(run.stdout + run.stderr, dovecot.password, SMTP_SECRET, WEB_SECRET)
    if fmt == "json":
        events = [record for record in json_lines(run.stderr) if record.get("event") == "mail"]
        assert sorted(event["uid"] for event in events) == [1, 2, 3]
        assert all(event["outcome"] == "new_ticket" and event["ticket"] and event["file"] is None for event in events)
    else:
        assert run.stderr.count("INFO inbox_worker.mail.events: message uid=") == 3
        assert "outcome=new_ticket ticket=" in run.stderr
