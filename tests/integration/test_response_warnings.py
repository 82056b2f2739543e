"""Response-time warnings on both databases: exactly one per ticket and target, none while waiting or closed.

The job is driven at chosen moments (a controlled clock), delivered to a real SMTP server, raced by two
workers, and run once through a real APScheduler.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.features.response.warnings import send_due_warnings
from inbox_worker.schedule import add_warning_job
from inbox_worker.store.models import OutboxMessage, ResponseWarning, Ticket, TicketEntry
from inbox_worker.web.server import create_staff
from tests.clocks import EMERGENCY, HIGH, answer, close, customer_replied, local, open_ticket, wait_for_customer
from tests.conftest import SmtpCapture, make_settings

TUESDAY = (2026, 11, 17)  # a normal ticket from 09:00 is due its first answer at 13:00, resolved Thursday 16:00


@pytest.fixture
def settings(tmp_path: Path, db_url: str, smtp_server: SmtpCapture) -> Settings:
    return make_settings(tmp_path, db_url, web={"base_url": "https://support.mico.dk/"},
                         smtp={"host": smtp_server.host, "port": smtp_server.port, "starttls": False})


def warnings_of(engine: Engine) -> list[tuple[int, str, str]]:
    with Session(engine) as session:
        return [(w.ticket_id, w.target, w.recipient) for w in
                session.scalars(select(ResponseWarning).order_by(ResponseWarning.ticket_id, ResponseWarning.target))]


def outbox_warnings(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.kind == "warning")) or 0)


def drive(settings: Settings, engine: Engine, *moments: datetime) -> list[tuple[int, str, str]]:
    sent = []
    for now in moments:
        sent += send_due_warnings(settings, engine, now).sent
    return sent


def body(message: EmailMessage, kind: str = "plain") -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_one_warning_per_ticket_and_target_whatever_the_number_of_runs(settings: Settings, engine: Engine) -> None:
    create_staff(engine, "jh@mico.dk", "Jens Hansen", "JH", "korrekt hest batteri")
    ticket = open_ticket(engine, local(*TUESDAY, 9), customer="bageriet", assignee="JH")
    minutes = [local(*TUESDAY, 12, m) for m in (0, 29, 30, 31, 45)] + [local(*TUESDAY, 13, 30), local(*TUESDAY, 15)]
    assert drive(settings, engine, *minutes) == [(ticket, "first_response", "jh@mico.dk")]  # at 12:30, once

    answer(engine, ticket, local(*TUESDAY, 14))  # late; the resolution is due Thursday 19 November 16:00
    thursday = [local(2026, 11, 19, 15, m) for m in (0, 29, 30, 45)] + [local(2026, 11, 19, 17), local(2026, 11, 20, 9)]
    assert drive(settings, engine, *thursday) == [(ticket, "resolution", "jh@mico.dk")]  # at 15:30, once
    assert warnings_of(engine) == [(ticket, "first_response", "jh@mico.dk"), (ticket, "resolution", "jh@mico.dk")]
    assert outbox_warnings(engine) == 2


def test_none_while_waiting_for_the_customer_and_none_for_a_closed_ticket(settings: Settings, engine: Engine) -> None:
    waiting = open_ticket(engine, local(*TUESDAY, 9), customer="bageriet")
    answer(engine, waiting, local(*TUESDAY, 9, 30))
    wait_for_customer(engine, waiting, local(*TUESDAY, 10))
    waiting_unanswered = open_ticket(engine, local(*TUESDAY, 9), customer="tandlaegerne")
    wait_for_customer(engine, waiting_unanswered, local(*TUESDAY, 9, 15))
    closed = open_ticket(engine, local(*TUESDAY, 9), customer="haarfin")
    close(engine, closed, local(*TUESDAY, 11))
    week = [local(*TUESDAY, 12, 30), local(*TUESDAY, 13, 30), local(2026, 11, 19, 15, 45), local(2026, 11, 23, 10)]
    assert drive(settings, engine, *week) == []

    # The customer answers on Monday 23 November 10:00: the first-response promise (never kept) is warned about now,
    # late, and the resolution clock runs again from where it stood.
    customer_replied(engine, waiting_unanswered, local(2026, 11, 23, 10))
    assert drive(settings, engine, local(2026, 11, 23, 10, 1), local(2026, 11, 23, 10, 2)) == [
        (waiting_unanswered, "first_response", "support-team@mico.dk")]


def test_a_promise_missed_while_the_worker_was_down_gets_its_one_late_notice(
        settings: Settings, engine: Engine, smtp_server: SmtpCapture) -> None:
    ticket = open_ticket(engine, local(2026, 11, 16, 9), customer="bageriet", assignee="XY",  # nobody's initials
                         subject='<img src=x onerror="alert(1)"> Serveren er nede')
    assert drive(settings, engine, local(*TUESDAY, 10), local(*TUESDAY, 11)) == [
        (ticket, "first_response", "support-team@mico.dk")]  # no such staff member: the shared address
    flush_outbox(settings, engine, now=local(*TUESDAY, 11))
    [notice] = [m for m in smtp_server.messages if m["X-MICO-Kind"] == "warning"]
    assert notice["To"] == "support-team@mico.dk" and notice["Auto-Submitted"] == "auto-generated"
    assert str(notice["Subject"]) == f"Sag #{ticket} har overskredet fristen for første svar (man. 16.11. kl. 13:00)"
    text = body(notice)
    # Late since Monday 13:00: 180 minutes on Monday and 60 on Tuesday, in opening hours.
    assert "Tid:       overskredet med 4 t (i åbningstiden)" in text
    assert "Kunde:     Bageriet Sørensen ApS (lone@bageriet-soerensen.dk)" in text
    assert "Ansvarlig: ingen (sendt til support-team@mico.dk)" in text
    assert f"Åbn sagen: https://support.mico.dk/tickets/{ticket}" in text
    html = body(notice, "html")
    assert "<img" not in html and "&lt;img src=x" in html  # the subject is shown, never markup
    with Session(engine) as session:  # the outbox names the ticket; its thread (the conversation) does not hold it
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "warning")).one()
        assert row.ticket_id == ticket
        assert session.scalars(select(TicketEntry).where(TicketEntry.ticket_id == ticket)).all() == []
        stored = session.get(Ticket, ticket)
        assert stored is not None and stored.first_response_at is None and stored.updated_at == local(2026, 11, 16, 9)


def test_an_emergency_and_a_high_priority_ticket_each_get_theirs_at_their_own_clock(
        settings: Settings, engine: Engine) -> None:
    emergency = open_ticket(engine, local(2026, 11, 21, 3), EMERGENCY, priority="emergency")  # Saturday 03:00
    high = open_ticket(engine, local(2026, 11, 20, 15, 30), HIGH, priority="high")  # due Monday 09:30
    assert drive(settings, engine, local(2026, 11, 20, 15, 59)) == []
    assert drive(settings, engine, local(2026, 11, 20, 16)) == [(high, "first_response", "support-team@mico.dk")]
    assert drive(settings, engine, local(2026, 11, 21, 3)) == [(emergency, "first_response", "support-team@mico.dk")]
    # The emergency's four-hour resolution (due 07:00) is warned about at 06:30; the night counts.
    assert drive(settings, engine, local(2026, 11, 21, 6, 29), local(2026, 11, 21, 6, 30), local(2026, 11, 21, 8)) == [
        (emergency, "resolution", "support-team@mico.dk")]


def test_two_workers_at_the_same_moment_queue_each_warning_once(settings: Settings, engine: Engine) -> None:
    tickets = [open_ticket(engine, local(*TUESDAY, 9), customer="bageriet") for _ in range(6)]
    start = threading.Barrier(2)
    results: list[list[tuple[int, str, str]]] = []

    def worker() -> None:
        start.wait()
        results.append(send_due_warnings(settings, engine, local(*TUESDAY, 12, 45)).sent)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2
    assert sorted(results[0] + results[1]) == [(t, "first_response", "support-team@mico.dk") for t in tickets]
    assert outbox_warnings(engine) == 6


def test_the_scheduled_job_sends_it_through_a_real_scheduler(settings: Settings, engine: Engine) -> None:
    now = datetime.now(UTC)
    ticket = open_ticket(engine, now - timedelta(minutes=5), EMERGENCY, priority="emergency")  # 25 minutes left
    scheduler = BackgroundScheduler(timezone="Europe/Copenhagen")
    add_warning_job(scheduler, settings, engine, every_seconds=0.2)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while not warnings_of(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a couple more runs of the job: they must add nothing
    finally:
        scheduler.shutdown(wait=True)
    assert warnings_of(engine) == [(ticket, "first_response", "support-team@mico.dk")]
    assert outbox_warnings(engine) == 1


def test_warnings_off_sends_nothing_and_registers_no_job(tmp_path: Path, db_url: str, engine: Engine) -> None:
    off = make_settings(tmp_path, db_url, response={"warnings": False})
    open_ticket(engine, local(*TUESDAY, 9))
    assert send_due_warnings(off, engine, local(*TUESDAY, 12, 45)).sent == []
    scheduler = BackgroundScheduler(timezone="Europe/Copenhagen")
    add_warning_job(scheduler, off, engine)
    assert scheduler.get_jobs() == []
