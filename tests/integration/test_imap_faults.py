"""Crash and fault safety against a real Dovecot: every mail exactly once, whatever happens in between."""

from __future__ import annotations

import random
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from inbox_worker.config import Settings
from inbox_worker.mail.worker import MailboxWorker
from inbox_worker.store.models import OutboxMessage, RawMessage, Ticket
from tests.integration.test_imap_worker import count, mails, start_poll, write_worker_config


def test_dovecot_restarted_while_a_batch_is_written_skips_and_doubles_nothing(
    imap_settings: Settings, engine: Engine, dovecot: Any
) -> None:
    dovecot.append(mails(60))
    worker = MailboxWorker(imap_settings, engine, parallel=False)
    apply_batch = worker.runner.apply_batch
    calls = []

    def restart_during_second_batch(*args: Any) -> Any:
        calls.append(True)
        if len(calls) == 2:  # the batch commits, but marking it processed on the server then fails
            dovecot.restart()
            assert worker.mailbox is not None and worker.mailbox.client is not None
            worker.mailbox.client.socket().shutdown(socket.SHUT_RDWR)  # and the network drops the connection
        return apply_batch(*args)

    worker.runner.apply_batch = restart_during_second_batch  # type: ignore[method-assign]
    try:
        worker.run_once()
    finally:
        worker.close()

    assert len(calls) > 3  # the second batch was seen again after the reconnect (as duplicates)
    assert count(engine, Ticket) == 60 and count(engine, OutboxMessage) == 60
    assert dovecot.count("INBOX") == 0 and dovecot.count("Behandlet") == 60


def test_dovecot_restarted_between_batches_skips_and_doubles_nothing(
    imap_settings: Settings, engine: Engine, dovecot: Any
) -> None:
    dovecot.append(mails(100))
    worker = MailboxWorker(imap_settings, engine, parallel=False)
    restarted = []
    run_batches = worker.runner.run

    def restart_after_first_batch(*args: Any, **kwargs: Any) -> Any:
        for batch in run_batches(*args, **kwargs):
            yield batch  # the worker marks the batch processed, then asks for the next
            if not restarted:
                restarted.append(True)
                dovecot.restart()  # the server goes away between two batches

    worker.runner.run = restart_after_first_batch  # type: ignore[method-assign]
    try:
        worker.run_once()
    finally:
        worker.close()

    assert restarted
    assert count(engine, Ticket) == 100 and count(engine, OutboxMessage) == 100
    assert count(engine, RawMessage) == 100
    assert dovecot.count("INBOX") == 0 and dovecot.count("Behandlet") == 100


def test_a_worker_killed_at_random_points_ten_times_loses_and_doubles_nothing(
    imap_settings: Settings, engine: Engine, dovecot: Any, tmp_path: Path
) -> None:
    config = write_worker_config(tmp_path / "worker.toml", imap_settings)
    dovecot.append(mails(200))
    chance = random.Random(20261125)
    for _ in range(10):
        process = start_poll(config, dovecot.password)
        time.sleep(chance.uniform(0.8, 2.0))  # start-up takes ~0.7 s: kill while it works
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    final = start_poll(config, dovecot.password)
    _, err = final.communicate(timeout=300)

    assert final.returncode == 0, err[-2000:]
    assert count(engine, RawMessage) == 200
    assert count(engine, Ticket) == 200  # every mail is a new thread: tickets = mails
    assert count(engine, OutboxMessage) == 200  # one ack per new ticket, never two
    assert dovecot.count("INBOX") == 0 and dovecot.count("Behandlet") == 200


def test_two_workers_at_once_process_every_mail_once(
    imap_settings: Settings, engine: Engine, dovecot: Any, tmp_path: Path, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers on one mailbox is a PostgreSQL deployment")
    config = write_worker_config(tmp_path / "worker.toml", imap_settings)
    dovecot.append(mails(200))

    workers = [start_poll(config, dovecot.password) for _ in range(2)]
    results = [worker.communicate(timeout=300) for worker in workers]

    assert all(worker.returncode == 0 for worker in workers), [err[-1000:] for _, err in results]
    assert count(engine, RawMessage) == 200
    assert count(engine, Ticket) == 200 and count(engine, OutboxMessage) == 200
    assert dovecot.count("INBOX") == 0 and dovecot.count("Behandlet") == 200
