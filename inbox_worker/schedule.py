"""`inbox-worker run`: the APScheduler wiring of the long-running worker. No logic of its own.

Jobs: the poll round (a cycle, then IDLE or a sleep until mail arrives; it reschedules itself, after
a backoff when the round failed), outbox delivery every minute, the weekly summaries (a cron
trigger on the company clock, plus one catch-up at start; sending is idempotent per customer and week),
every minute the heartbeat the web process reads, the evaluation of the staff alerts and the
response-time warnings (once per ticket and target), and every night the GDPR retention periods
([privacy] nightly_at, company clock).
SIGTERM and SIGINT set the stop event: the mail in hand is finished, IDLE is left within a second,
and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from inbox_worker.config import Settings
from inbox_worker.domain.health import SUMMARY_COMPONENT, FailureKind
from inbox_worker.features.health.notify import evaluate_alerts
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.features.privacy.retention import run_retention
from inbox_worker.features.response.warnings import send_due_warnings
from inbox_worker.features.summary.build import summary_due
from inbox_worker.features.summary.send import send_summaries
from inbox_worker.mail.sources.imap import CONNECTION_ERRORS
from inbox_worker.mail.worker import MailboxWorker
from inbox_worker.store import health

log = logging.getLogger("inbox_worker.schedule")
OUTBOX_EVERY_SECONDS = 60
WARNINGS_EVERY_SECONDS = 60
HEALTH_EVERY_SECONDS = 60


def idle_wait(settings: Settings, has_idle: bool) -> float:
    """How long one round waits for mail: IDLE is re-issued well within `alerts.poll_stale_minutes`, so a
    connection dropped silently (a NAT's idle timeout) is found, and a quiet mailbox never looks stale."""
    box = settings.mailbox
    if not (box.idle and has_idle):
        return float(box.poll_interval_seconds)
    return float(min(box.idle_seconds, max(30, settings.alerts.poll_stale_minutes * 60 // 2)))


def _poll_round(scheduler: BackgroundScheduler, worker: MailboxWorker) -> None:
    delay = 0.0
    try:
        worker.cycle()
        worker.failures = 0
        mailbox = worker._connected()
        mailbox.wait_for_mail(idle_wait(worker.settings, mailbox.has_idle), worker.stop)
    except CONNECTION_ERRORS as exc:
        worker.failures += 1
        worker._drop_connection()
        delay = worker.backoff_seconds()
        log.warning("mailbox %s: %s: %s; retrying in %.0f s", worker.key, type(exc).__name__, exc, delay)
    except Exception:  # a bug must not stop the worker: log it, back off, carry on
        worker.failures += 1
        delay = worker.backoff_seconds()
        log.exception("poll round of %s failed; retrying in %.0f s", worker.key, delay)
    if not worker.stop.is_set():
        scheduler.add_job(_poll_round, "date", run_date=datetime.now(UTC) + timedelta(seconds=delay),
                          args=[scheduler, worker], id="poll", replace_existing=True, misfire_grace_time=None)


def _flush(settings: Settings, engine: Engine) -> None:
    summary = flush_outbox(settings, engine)
    if summary.sent or summary.failed or summary.retrying:
        log.info("outbox sent=%s retrying=%s failed=%s", summary.sent, summary.retrying, summary.failed)


def _weekly_summaries(settings: Settings, engine: Engine) -> None:
    try:
        week = summary_due(datetime.now(UTC), settings.company.timezone, settings.summary.weekday,
                           settings.summary.time)
        run = send_summaries(settings, engine, week)
        log.info("summaries week=%s queued=%s skipped=%s", week, len(run.sent), len(run.skipped))
        health.quietly(health.succeeded, engine, SUMMARY_COMPONENT, datetime.now(UTC))
    except Exception as exc:  # the poll and the outbox must go on; the next start or week tries again
        log.exception("weekly summaries failed")
        health.quietly(health.failed, engine, SUMMARY_COMPONENT, datetime.now(UTC), FailureKind.ERROR,
                       f"{type(exc).__name__}: {exc}")


def health_tick(settings: Settings, engine: Engine, worker: MailboxWorker, now: datetime | None = None) -> None:
    """Every minute: the heartbeat /healthz reads, then the alert evaluation (which must never stop the worker)."""
    now = now or worker.clock()
    health.quietly(health.heartbeat, engine, worker.key, now, worker.owner)
    try:
        evaluate_alerts(settings, engine, now)
    except Exception:
        log.exception("health: alert evaluation failed; the next minute tries again")


def summary_trigger(settings: Settings) -> CronTrigger:
    hour, minute = settings.summary.time.split(":")
    return CronTrigger(day_of_week=settings.summary.weekday, hour=int(hour), minute=int(minute),
                       timezone=settings.company.timezone)


def add_summary_jobs(scheduler: BaseScheduler, settings: Settings, engine: Engine) -> None:
    """Mondays 07:00 (configurable) on the company clock; and once at start, for a worker that was down then."""
    if not settings.summary.enabled:
        return
    scheduler.add_job(_weekly_summaries, summary_trigger(settings), args=[settings, engine], id="summary",
                      misfire_grace_time=settings.summary.misfire_grace_hours * 3600, coalesce=True,
                      max_instances=1, replace_existing=True)
    scheduler.add_job(_weekly_summaries, "date", run_date=datetime.now(UTC), args=[settings, engine],
                      id="summary-catch-up", misfire_grace_time=None, replace_existing=True)


def _response_warnings(settings: Settings, engine: Engine) -> None:
    try:
        warned = send_due_warnings(settings, engine, datetime.now(UTC))
        if warned.sent or warned.skipped:
            log.info("response warnings queued=%s skipped=%s", len(warned.sent), len(warned.skipped))
    except Exception:  # the poll and the outbox must go on; the next minute tries again
        log.exception("response warnings failed")


def add_warning_job(scheduler: BaseScheduler, settings: Settings, engine: Engine,
                    every_seconds: float = WARNINGS_EVERY_SECONDS) -> None:
    """Every minute (and at once at start): the warnings due now ([response] warnings, warn_before_minutes)."""
    if not settings.response.warnings:
        return
    scheduler.add_job(_response_warnings, "interval", seconds=every_seconds, args=[settings, engine],
                      id="response-warnings", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC),
                      replace_existing=True)


def _nightly_retention(settings: Settings, engine: Engine) -> None:
    try:
        run = run_retention(settings, engine, datetime.now(UTC))
        done = " ".join(f"{kind}={n}" for kind, n in run.counts.items() if n)
        log.info("privacy retention %s", done or "nothing due")
    except Exception:  # the poll and the outbox must go on; the next night tries again
        log.exception("privacy retention failed")


def retention_trigger(settings: Settings) -> CronTrigger:
    hour, minute = settings.privacy.nightly_at.split(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=settings.company.timezone)


def add_retention_job(scheduler: BaseScheduler, settings: Settings, engine: Engine) -> None:
    """Every night ([privacy] nightly_at, company clock); a worker down then catches up within six hours."""
    if not settings.privacy.nightly:
        return
    scheduler.add_job(_nightly_retention, retention_trigger(settings), args=[settings, engine], id="privacy-retention",
                      misfire_grace_time=6 * 3600, coalesce=True, max_instances=1, replace_existing=True)


def run(settings: Settings, engine: Engine, stop: threading.Event | None = None) -> int:
    stop = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: finishing the mail in hand, then stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    worker = MailboxWorker(settings, engine, stop)
    health.quietly(health.started, engine, worker.key, datetime.now(UTC), worker.owner)
    scheduler = BackgroundScheduler(timezone=settings.company.timezone)
    scheduler.add_job(_poll_round, "date", run_date=datetime.now(UTC), args=[scheduler, worker], id="poll",
                      misfire_grace_time=None)
    scheduler.add_job(_flush, "interval", seconds=OUTBOX_EVERY_SECONDS, args=[settings, engine], id="outbox",
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
    scheduler.add_job(health_tick, "interval", seconds=HEALTH_EVERY_SECONDS, args=[settings, engine, worker],
                      id="health", max_instances=1, coalesce=True,
                      next_run_time=datetime.now(UTC) + timedelta(seconds=HEALTH_EVERY_SECONDS))
    add_summary_jobs(scheduler, settings, engine)
    add_warning_job(scheduler, settings, engine)
    add_retention_job(scheduler, settings, engine)
    scheduler.start()
    log.info("worker running for %s (stop with SIGTERM)", worker.key)
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        health.quietly(health.stopped, engine, worker.key, datetime.now(UTC), worker.owner)
        worker.close()
    log.info("worker stopped")
    return 0
