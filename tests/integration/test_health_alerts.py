"""Staff alerts end to end on a controlled clock: a real Dovecot refusing the login, a real SMTP server going away.

Each step is one minute of `run`: a poll cycle, the health tick (heartbeat + alert evaluation) and an
outbox flush, all given the same `now`; nothing sleeps.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.defaults.copy_out import copy_defaults
from inbox_worker.features.health.notify import evaluate_alerts
from inbox_worker.features.health.snapshot import check_health
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.mail.runner import Runner
from inbox_worker.mail.sources.imap import CONNECTION_ERRORS, mailbox_key
from inbox_worker.mail.worker import MailboxWorker
from inbox_worker.schedule import _weekly_summaries, health_tick
from inbox_worker.store import health
from inbox_worker.store.models import AlertRecord, Customer, OutboxMessage
from tests.conftest import SmtpCapture, free_port, make_settings
from tests.integration.test_imap_worker import mails
from tests.mailbuilder import build_mail


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def alert_rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")
                                    .order_by(OutboxMessage.id)))


def one_minute(settings: Settings, engine: Engine, worker: MailboxWorker, clock: Clock) -> None:
    """What `run` does in a minute: poll (a refused login is logged and retried), beat and evaluate, flush."""
    with contextlib.suppress(CONNECTION_ERRORS):
        worker.cycle()
    health_tick(settings, engine, worker)
    flush_outbox(settings, engine, now=clock())


def test_a_login_refused_for_thirty_minutes_mails_staff_once_and_once_more_when_fixed(
        tmp_path: Path, db_url: str, engine: Engine, dovecot: Any, smtp_server: SmtpCapture) -> None:
    mailbox = {"host": "127.0.0.1", "port": dovecot.port, "ssl": False, "username": dovecot.user,
               "password": "the-old-password-æøå", "processed_folder": "Behandlet", "timeout_seconds": 10.0}
    smtp = {"host": smtp_server.host, "port": smtp_server.port, "starttls": False}
    refused = make_settings(tmp_path, db_url, mailbox=mailbox, smtp=smtp)
    dovecot.append(mails(2))
    clock = Clock()
    started = clock.now
    worker = MailboxWorker(refused, engine, parallel=False, clock=clock)
    for _ in range(30):
        one_minute(refused, engine, worker, clock)
        clock.tick()
    worker.close()
    assert len(alert_rows(engine)) == 1
    assert check_health(refused, engine, clock.now).failing == ("polling",)

    fixed = make_settings(tmp_path, db_url, mailbox={**mailbox, "password": dovecot.password}, smtp=smtp)
    worker = MailboxWorker(fixed, engine, parallel=False, clock=clock)  # `run` restarted with the new secret
    one_minute(fixed, engine, worker, clock)
    clock.tick()
    for _ in range(5):  # and the same evaluation again, minute after minute: nothing new
        one_minute(fixed, engine, worker, clock)
        clock.tick()
    worker.close()
    second_run = MailboxWorker(fixed, engine, parallel=False, clock=clock)
    one_minute(fixed, engine, second_run, clock)
    second_run.close()

    rows = alert_rows(engine)
    assert [row.status for row in rows] == ["sent", "sent"]
    alerts = [m for m in smtp_server.messages if m["X-MICO-Kind"] == "alert"]
    assert [m["Subject"] for m in alerts] == [f"[inbox-worker] Advarsel: IMAP-login afvist siden {_hm(started)}",
                                              "[inbox-worker] Løst: IMAP-login afvist"]
    assert all(m["To"] == "support-team@mico.dk" and m["Auto-Submitted"] == "auto-generated" for m in alerts)
    text = alerts[0].get_body(("plain",)).get_content()
    assert "afviser inbox-workers login" in text and "AUTHENTICATIONFAILED" in text
    assert "the-old-password" not in text and dovecot.password not in text
    assert "varede 30 min" in alerts[1].get_body(("plain",)).get_content()
    assert dovecot.count("Behandlet") == 2  # and the mail that waited is in
    assert check_health(fixed, engine, clock.now).ok


def test_while_smtp_is_down_healthz_and_the_log_say_so_and_the_alert_goes_out_first_when_it_is_back(
        tmp_path: Path, db_url: str, engine: Engine, smtp_server: SmtpCapture,
        caplog: pytest.LogCaptureFixture) -> None:
    down = make_settings(tmp_path, db_url, smtp={"host": "127.0.0.1", "port": free_port(), "starttls": False})
    back = make_settings(tmp_path, db_url, smtp={"host": smtp_server.host, "port": smtp_server.port,
                                                  "starttls": False})
    Runner(down, engine).process(build_mail(), "test")  # a customer's mail: its ack waits in the outbox
    clock = Clock()
    started = clock.now
    worker = MailboxWorker(down, engine, parallel=False, clock=clock)  # no IMAP here: only its heartbeat
    caplog.set_level(logging.WARNING)
    for minute in range(60):
        settings = down if minute < 20 else back
        flush_outbox(settings, engine, now=clock())
        health_tick(settings, engine, worker)
        if minute == 5:
            assert check_health(settings, engine, clock.now).failing == ("smtp",)
        clock.tick()
    worker.close()

    assert "SMTP is failing" in caplog.text
    with Session(engine) as session:  # back at minute 20: found by logging in, though every row waited out a backoff
        record = session.get(AlertRecord, "smtp-failing")
        assert record is not None and record.cleared_at == started + timedelta(minutes=20)
    kinds = [(m["X-MICO-Kind"], m["Subject"]) for m in smtp_server.messages]
    alerts = [subject for kind, subject in kinds if kind == "alert"]
    assert len(alerts) == 2 and alerts[0].startswith("[inbox-worker] Advarsel: SMTP-serveren svarer ikke siden ")
    assert alerts[1] == "[inbox-worker] Løst: SMTP-serveren svarer ikke"
    assert [kind for kind, _ in kinds].count("ack") == 1  # and the customer's ack, once
    assert check_health(back, engine, clock.now).ok


def test_two_workers_evaluating_at_the_same_moment_mail_staff_once(
        tmp_path: Path, settings: Settings, engine: Engine) -> None:
    clock = Clock()
    now = clock.now + timedelta(hours=1)  # the worker has been silent for an hour: worker-down, mailed at once
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            barrier.wait()
            evaluate_alerts(settings, engine, now)
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [row.subject for row in alert_rows(engine)] == [f"[inbox-worker] Advarsel: inbox-worker kører ikke siden "
                                                           f"{_hm(now)}"]


def _hm(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return f"{moment.astimezone(ZoneInfo('Europe/Copenhagen')):%H:%M}"


def test_a_weekly_summary_run_that_fails_is_mailed_and_clears_when_a_run_succeeds(
        tmp_path: Path, db_url: str, engine: Engine) -> None:
    copy_defaults(tmp_path / "mico")
    for template in (tmp_path / "mico" / "templates" / "summary").iterdir():
        template.write_text("{{ no_such_value.at_all }}", encoding="utf-8")  # a broken edit of the template
    paths = {"templates": str(tmp_path / "mico" / "templates")}
    broken = make_settings(tmp_path, db_url, paths=paths)
    with Session(engine) as session, session.begin():  # a customer whose summary is always due
        for customer in session.scalars(select(Customer)):
            customer.weekly_summary = "always"
    health.started(engine, mailbox_key(broken.mailbox), datetime.now(UTC), "test")  # `run` is up
    _weekly_summaries(broken, engine)
    now = datetime.now(UTC)
    evaluate_alerts(broken, engine, now)
    assert [row.subject.split(" siden ")[0] for row in alert_rows(engine)] == [
        "[inbox-worker] Advarsel: Ugeoversigten fejlede"]

    copy_defaults(tmp_path / "mico", force=True)  # the template put right
    _weekly_summaries(broken, engine)
    evaluate_alerts(broken, engine, now + timedelta(minutes=1))
    assert [row.subject for row in alert_rows(engine)][1] == "[inbox-worker] Løst: Ugeoversigten fejlede"
    with Session(engine) as session:
        record = session.get(AlertRecord, "summary-failing")
        assert record is not None and record.cleared_at is not None and record.recovery_outbox_id is not None


def test_run_beats_polls_and_says_when_it_stopped(imap_settings: Settings, engine: Engine, dovecot: Any,
                                                  smtp_server: SmtpCapture) -> None:
    from dataclasses import replace

    from inbox_worker.schedule import run

    imap_settings = replace(imap_settings, smtp=replace(imap_settings.smtp, host=smtp_server.host,
                                                        port=smtp_server.port, starttls=False))
    dovecot.append(mails(1))
    stop = threading.Event()
    worker = threading.Thread(target=run, args=(imap_settings, engine, stop))
    worker.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while datetime.now(UTC) < deadline and dovecot.count("Behandlet") < 1:
            stop.wait(0.2)
        report = check_health(imap_settings, engine, datetime.now(UTC))
    finally:
        stop.set()
        worker.join(timeout=60)
    assert report.ok, report.failing
    assert report.snapshot is not None and report.snapshot.poll is not None
    assert report.snapshot.poll.started_at is not None and report.snapshot.poll.ok_count >= 1
    after = check_health(imap_settings, engine, datetime.now(UTC))
    assert after.failing == ("worker_heartbeat",)  # stopped cleanly: /healthz says so at once


def test_idle_is_reissued_within_half_the_stale_limit_and_polling_keeps_its_interval(settings: Settings) -> None:
    from dataclasses import replace

    from inbox_worker.schedule import idle_wait

    assert idle_wait(settings, has_idle=True) == 300  # 25 minutes of IDLE, cut to half of poll_stale_minutes (10)
    quick = replace(settings, mailbox=replace(settings.mailbox, idle_seconds=120))
    assert idle_wait(quick, has_idle=True) == 120
    assert idle_wait(settings, has_idle=False) == settings.mailbox.poll_interval_seconds
