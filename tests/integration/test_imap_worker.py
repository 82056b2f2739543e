"""Polling a real Dovecot: processed mail is moved, nothing is skipped or doubled, faults are survived."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.worker import MailboxWorker
from inbox_worker.store.models import OutboxMessage, RawMessage, Ticket
from tests.mailbuilder import build_mail


def mails(count: int, prefix: str = "m") -> list[bytes]:
    """Distinct mails from one contact, written two hours apart (so the ack-loop limit never applies)."""
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    return [build_mail(subject=f"Fejl nummer {i} på printeren", body=f"Printer {i} virker ikke.",
                       message_id=f"<{prefix}{i}@bageriet-soerensen.dk>",
                       date=format_datetime(start + timedelta(hours=2 * i))) for i in range(count)]


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def poll_once(settings: Settings, engine: Engine) -> Any:
    worker = MailboxWorker(settings, engine, parallel=False)
    try:
        return worker.run_once()
    finally:
        worker.close()


def test_new_mail_is_processed_and_moved_and_a_second_poll_does_nothing(
    imap_settings: Settings, engine: Engine, dovecot: Any
) -> None:
    dovecot.append(mails(45))

    first = poll_once(imap_settings, engine)
    second = poll_once(imap_settings, engine)

    assert (first.fetched, first.processed) == (45, 45)
    assert (second.fetched, second.processed) == (0, 0)
    assert dovecot.count("INBOX") == 0 and dovecot.count("Behandlet") == 45
    assert count(engine, Ticket) == 45 and count(engine, OutboxMessage) == 45


def test_without_a_processed_folder_mail_is_flagged_in_place(
    imap_settings: Settings, engine: Engine, dovecot: Any
) -> None:
    settings = replace(imap_settings, mailbox=replace(imap_settings.mailbox, processed_folder=""))
    dovecot.append(mails(3))

    assert poll_once(settings, engine).processed == 3
    assert poll_once(settings, engine).processed == 0

    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
    assert len(flags) == 3
    assert all(b"\\Seen" in f and b"$MicoProcessed" in f for f in flags.values())


def test_an_oversized_mail_is_stored_headers_only_and_quarantined(
    imap_settings: Settings, engine: Engine, dovecot: Any
) -> None:
    settings = replace(imap_settings, mailbox=replace(imap_settings.mailbox, max_message_mb=0.05))
    big = build_mail(subject="Kæmpe logfil", attachment=("log.bin", b"x" * 200_000))
    dovecot.append([big, *mails(1)])

    assert poll_once(settings, engine).processed == 2

    with Session(engine) as session:  # (size, outcome) per stored mail: two may well have the same size
        stored = session.execute(select(RawMessage.size, RawMessage.outcome)).all()
    assert sorted(outcome for _, outcome in stored) == ["new_ticket", "quarantined"]
    assert all(size < 10_000 for size, outcome in stored if outcome == "quarantined")
    assert dovecot.count("Behandlet") == 2  # the body stays on the server, in the processed folder


def test_a_changed_uidvalidity_rescans_without_duplicates(
    imap_settings: Settings, engine: Engine, dovecot: Any
) -> None:
    settings = replace(imap_settings, mailbox=replace(imap_settings.mailbox, folder="Support"))
    batch = mails(5)
    dovecot.append(batch, folder="Support")
    assert poll_once(settings, engine).processed == 5
    with dovecot.client() as client:  # the folder is recreated: new UIDVALIDITY, the same mail again
        client.delete_folder("Support")
        client.create_folder("Support")
    dovecot.append(batch, folder="Support")

    again = poll_once(settings, engine)

    assert again.processed == 5
    assert count(engine, Ticket) == 5 and count(engine, OutboxMessage) == 5
    assert dovecot.count("Support") == 0


@pytest.mark.timing
def test_mail_appended_while_the_worker_idles_is_processed_within_two_seconds(
    imap_settings: Settings, engine: Engine, dovecot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imapclient import IMAPClient

    from inbox_worker.schedule import run

    # The clock starts when the server has answered IDLE, not after a guessed sleep: on a loaded machine the
    # first cycle can outlast any fixed wait, and a mail appended before IDLE is found by the next cycle.
    idling = threading.Event()
    real_idle = IMAPClient.idle

    def idle_and_tell(client: IMAPClient) -> Any:
        answer = real_idle(client)
        idling.set()
        return answer

    monkeypatch.setattr(IMAPClient, "idle", idle_and_tell)
    stop = threading.Event()
    runner = threading.Thread(target=run, args=(imap_settings, engine, stop), daemon=True)
    runner.start()
    try:
        assert idling.wait(timeout=30), "the worker never entered IDLE"
        dovecot.append(mails(1, prefix="idle"))
        appended = time.monotonic()
        while count(engine, Ticket) < 1 and time.monotonic() - appended < 10:
            time.sleep(0.05)
        elapsed = time.monotonic() - appended
    finally:
        stop.set()
        runner.join(timeout=10)
    assert count(engine, Ticket) == 1
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    assert not runner.is_alive()


def write_worker_config(path: Path, settings: Settings) -> Path:
    box = settings.mailbox
    path.write_text(
        f'[database]\nurl = "{settings.database.url}"\n'
        f'[storage]\nattachments_dir = "{settings.storage.attachments_dir}"\n'
        f'[mailbox]\nhost = "{box.host}"\nport = {box.port}\nssl = false\nusername = "{box.username}"\n'
        f'password_env = "TEST_IMAP_PASSWORD"\nfolder = "{box.folder}"\nprocessed_folder = "{box.processed_folder}"\n'
        f"batch_size = {box.batch_size}\ntimeout_seconds = 10.0\n"
        f'[smtp]\nhost = "127.0.0.1"\nport = 9\nstarttls = false\n', encoding="utf-8")
    return path


def start_poll(config: Path, password: str) -> subprocess.Popen[str]:
    """`inbox-worker poll --once` as a separate process, its IMAP password in the environment."""
    env = {"PATH": "/usr/bin:/bin", "TEST_IMAP_PASSWORD": password}
    return subprocess.Popen([sys.executable, "-m", "inbox_worker", "--config", str(config), "poll", "--once"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.timing
def test_run_stops_cleanly_on_sigterm_within_five_seconds(
    imap_settings: Settings, engine: Engine, dovecot: Any, tmp_path: Path
) -> None:
    config = write_worker_config(tmp_path / "worker.toml", imap_settings)
    dovecot.append(mails(10))
    env = {"PATH": "/usr/bin:/bin", "TEST_IMAP_PASSWORD": dovecot.password}
    process = subprocess.Popen([sys.executable, "-m", "inbox_worker", "--config", str(config), "-v", "run"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 20
    while count(engine, Ticket) < 10 and time.monotonic() < deadline:
        time.sleep(0.1)

    process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    _out, err = process.communicate(timeout=15)

    assert process.returncode == 0, err[-2000:]
    assert time.monotonic() - stopped < 5
    assert count(engine, Ticket) == 10 and dovecot.count("INBOX") == 0
    assert dovecot.password not in err  # secrets are never logged
    assert "message uid=" in err and "outcome=new_ticket" in err and " ms=" in err
    assert "cycle mailbox=" in err and "fetched=10 processed=10 errors=0" in err


def test_a_login_failure_is_retried_then_reported_in_one_line_without_the_password(
    imap_settings: Settings, engine: Engine, dovecot: Any, tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a login failure involves no database: once, on SQLite, is enough")
    config = write_worker_config(tmp_path / "worker.toml", imap_settings)
    text = config.read_text().replace("timeout_seconds = 10.0\n", "timeout_seconds = 10.0\nretry_max_seconds = 1\n")
    config.write_text(text, encoding="utf-8")
    process = start_poll(config, "wrong-secret-æøå-123")
    out, err = process.communicate(timeout=120)

    assert process.returncode != 0
    assert "Traceback" not in err
    assert err.count("retrying") >= 3  # logged and retried with backoff before giving up
    last = err.strip().splitlines()[-1]
    assert last.startswith("inbox-worker: postkassen support@mico.dk@127.0.0.1") and "LoginError" in last
    assert "wrong-secret" not in err and "wrong-secret" not in out
