"""Weekly summaries: the demo week summarised per customer, delivered to a real SMTP server, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.features.summary.build import IsoWeek
from inbox_worker.features.summary.send import send_summaries
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage, SummarySent
from tests.conftest import DEMO, SmtpCapture, write_config

WEEK = IsoWeek(2026, 47)  # Monday 16 - Sunday 22 November 2026
IN_WEEK = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Copenhagen


def demo_week(settings: Settings, engine: Engine) -> list[dict[str, Any]]:
    processor = Runner(settings, engine)
    files = sorted((DEMO / "inbox").glob("*.eml"))
    return [processor.process(path.read_bytes(), path.name, now=IN_WEEK + timedelta(minutes=i))
            for i, path in enumerate(files)]


def body_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_the_demo_week_sends_one_danish_summary_per_contact_person_and_nothing_more(
        smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture, cli: Any, tmp_path: Path) -> None:
    decisions = demo_week(smtp_settings, engine)
    customers_with_tickets = {d["customer"] for d in decisions if d["customer"] and d["ticket"]}
    flush_outbox(smtp_settings, engine, now=IN_WEEK)  # the acknowledgements
    smtp_server.messages.clear()

    config = write_config(tmp_path, smtp_settings)
    first = cli("summary", "send", "--week", str(WEEK), config=config)
    assert first.code == 0, first.err
    flush_outbox(smtp_settings, engine)  # the command queued them at the real "now"
    second = cli("summary", "send", "--week", str(WEEK), config=config)
    flush_outbox(smtp_settings, engine, now=datetime.now(UTC) + timedelta(minutes=5))

    summaries = [m for m in smtp_server.messages if m["X-MICO-Kind"] == "summary"]
    assert len(summaries) == len(customers_with_tickets) == 4
    recipients = sorted(str(m["To"]) for m in summaries)
    assert recipients == ["joergen@boegh-toemrer.dk", "lone@bageriet-soerensen.dk", "mette@tandlaegerne-aaen.dk",
                          "pernille@salon-haarfin.dk"]
    assert all(str(m["Subject"]).startswith("Ugeoversigt fra MICO ApS, uge 47 2026") for m in summaries)
    assert all(m["Auto-Submitted"] == "auto-generated" for m in summaries)
    assert "Uge 2026-W47: 0 ugeoversigter lagt i udbakken" in second.out and "allerede sendt" in second.out
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(SummarySent)) == 4


def test_a_summary_holds_the_customers_week_and_nothing_of_anyone_else(
        smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture) -> None:
    decisions = demo_week(smtp_settings, engine)
    send_summaries(smtp_settings, engine, WEEK, customer="bageriet", now=NEXT_MONDAY)
    flush_outbox(smtp_settings, engine, now=NEXT_MONDAY)

    [summary] = [m for m in smtp_server.messages if m["X-MICO-Kind"] == "summary"]
    text = body_text(summary)
    assert text.startswith("Hej Lone")
    assert "uge 47 (16. november 2026 – 22. november 2026)" in text
    for decision in decisions:
        if decision["outcome"] != "new_ticket":
            continue
        line = f"#{decision['ticket']} {decision['subject']}"
        assert (line in text) is (decision["customer"] == "bageriet"), line
    assert "BAG-PRN-01" in text and "Lone Sørensen" in text  # who and which device
    assert "MCOSAABAS Basispakke: 1" in text
    for other in ("Tandlægerne", "Pernille", "Jørgen", "Hanne", "tegnestuen"):
        assert other not in text  # no other customer's people, no unknown senders
    assert "slukke og tænde" not in text  # no mail bodies beyond subjects
    html = summary.get_body(("html",))
    assert html is not None and "<script" not in str(html.get_content())  # type: ignore[attr-defined]


def test_time_in_the_week_and_quarter_is_summed_in_hours_and_kroner(
        smtp_settings: Settings, engine: Engine, cli: Any, tmp_path: Path) -> None:
    decisions = demo_week(smtp_settings, engine)
    ticket = next(d["ticket"] for d in decisions if d["customer"] == "bageriet")
    config = write_config(tmp_path, smtp_settings)
    for args in (("30", "--covered", "--date", "2026-11-18"), ("50", "--billable", "--date", "2026-11-19"),
                 ("20", "--billable", "--date", "2026-10-02"), ("45", "--billable", "--date", "2026-11-24")):
        assert cli("tickets", "log-time", str(ticket), args[0], "--by", "JH", *args[1:], config=config).code == 0

    run = send_summaries(smtp_settings, engine, WEEK, customer="bageriet", dry_run=True, now=NEXT_MONDAY)

    [(_key, _subject, text)] = run.previews
    # week: 30 min covered; 50 min billable -> 60 min at 650 = 650,00. Quarter adds 20 -> 30 min = 325,00.
    assert "Ugen:        dækket af aftalen 0 t 30 min, faktureres 1 t = 650,00 kr." in text
    assert "Kvartalet:   dækket af aftalen 0 t 30 min, faktureres 1 t 30 min = 975,00 kr." in text
    with Session(engine) as session:  # a dry run writes nothing
        assert session.scalar(select(func.count()).select_from(SummarySent)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "summary")) == 0


def test_a_quiet_week_sends_nothing_unless_the_customer_wants_it_always(
        smtp_settings: Settings, engine: Engine) -> None:
    quiet = send_summaries(smtp_settings, engine, WEEK, now=NEXT_MONDAY)
    assert quiet.sent == [] and {why for _key, why in quiet.skipped} == {"ingen aktivitet i ugen"}

    with Session(engine) as session, session.begin():
        from inbox_worker.store.models import Customer
        session.scalars(select(Customer).where(Customer.key == "bageriet")).one().weekly_summary = "always"
    always = send_summaries(smtp_settings, engine, WEEK, now=NEXT_MONDAY)
    assert always.sent == [("bageriet", "lone@bageriet-soerensen.dk")]
