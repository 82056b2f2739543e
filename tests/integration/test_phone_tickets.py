"""A call staff took is always a new ticket of the caller's, decided by the pipeline like mail."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.tickets.phone import PhoneCall, open_phone_ticket
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AuditEntry, Ticket
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _call(subject: str, description: str = "Lone ringer: printeren på kontoret virker ikke.") -> PhoneCall:
    return PhoneCall("bageriet", "lone@bageriet-soerensen.dk", subject, description)


def test_a_call_whose_subject_names_a_ticket_or_looks_automatic_is_a_new_ticket(settings: Settings,
                                                                               engine: Engine) -> None:
    existing = Runner(settings, engine).process(build_mail(), "mail", now=NOW)["ticket"]
    with Session(engine) as session, session.begin():
        tagged = open_phone_ticket(session, _call(f"[MICO #{existing}] Printeren igen"), settings, "JH", NOW).id
        auto = open_phone_ticket(session, _call("Autosvar: printeren"), settings, "JH", NOW).id

    assert len({existing, tagged, auto}) == 3
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 3
        traces = [entry.details["trace"] for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "phone-ticket").order_by(AuditEntry.id))]
    for trace in traces:
        rules = [entry["rule"] for entry in trace]
        assert "phone-call" in rules and "phone-new-ticket" in rules and "ack-phone" in rules


def test_phone_tickets_and_mail_share_one_sequence_of_ticket_numbers(settings: Settings, engine: Engine) -> None:
    runner = Runner(settings, engine)
    first = runner.process(build_mail(message_id="<a@bageriet-soerensen.dk>"), "a", now=NOW)["ticket"]
    with Session(engine) as session, session.begin():
        phoned = open_phone_ticket(session, _call("Skærmen flimrer"), settings, "JH", NOW).id
    after = runner.process(build_mail(subject="Ny sag", message_id="<b@bageriet-soerensen.dk>"), "b", now=NOW)
    assert [first, phoned, after["ticket"]] == [first, first + 1, first + 2]
