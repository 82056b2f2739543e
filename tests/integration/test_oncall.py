"""Emergencies reach a person at once: the on-call address outside hours, the staff address within.

Routing follows the Copenhagen clock at the edges (Friday 15:59/16:00, weekends, the DST nights, a
public holiday); a ticket gets one notice at most, and a notice never goes to a customer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OncallNotice, OutboxMessage
from tests.conftest import SmtpCapture, make_settings
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SERVER_DOWN = "Hej\n\nServeren er nede og ingen af os kan arbejde. Kassen virker heller ikke.\n\nMvh Lone"


def emergency(date: str, message_id: str = "<akut-1@bageriet-soerensen.dk>", body: str = SERVER_DOWN) -> bytes:
    return build_mail(subject="Serveren er nede", body=body, date=date, message_id=message_id)


def notices(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(m.kind, m.recipient) for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "oncall").order_by(OutboxMessage.id))]


def test_a_weekend_emergency_reaches_the_on_call_address_within_one_outbox_cycle(
        smtp_settings: Settings, engine: Engine, smtp_server: SmtpCapture) -> None:
    decision = Runner(smtp_settings, engine).process(
        emergency("Sat, 28 Nov 2026 09:40:00 +0100"), "t", now=NOW)
    assert decision["priority"] == "emergency" and decision["outside_hours"] is True

    flush_outbox(smtp_settings, engine, now=NOW)

    [notice] = [m for m in smtp_server.messages if m["X-MICO-Kind"] == "oncall"]
    assert str(notice["To"]) == "vagt@mico.dk"
    assert str(notice["Subject"]) == f"AKUT #{decision['ticket']}: Bageriet Sørensen ApS"
    text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Lone Sørensen tlf. +45 21 43 65 87" in text
    assert "Serveren er nede og ingen af os kan arbejde." in text
    assert notice["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize("date, recipient", [
    ("Fri, 27 Nov 2026 15:59:00 +0100", "support-team@mico.dk"),  # within hours: the staff address
    ("Fri, 27 Nov 2026 16:00:00 +0100", "vagt@mico.dk"),          # closing time: on call
    ("Mon, 30 Nov 2026 08:59:00 +0100", "vagt@mico.dk"),
    ("Sun, 29 Mar 2026 02:30:00 +0000", "vagt@mico.dk"),           # the spring DST night
    ("Mon, 30 Mar 2026 07:30:00 +0000", "support-team@mico.dk"),   # 09:30 CEST: open
    ("Mon, 26 Oct 2026 07:30:00 +0000", "vagt@mico.dk"),           # 08:30 CET after the autumn change
    ("Mon, 06 Apr 2026 10:00:00 +0200", "vagt@mico.dk"),           # 2. påskedag, a public holiday
])
def test_routing_follows_the_copenhagen_clock_at_the_edges(settings: Settings, engine: Engine, date: str,
                                                          recipient: str) -> None:
    Runner(settings, engine).process(emergency(date), "t", now=NOW)
    assert notices(engine) == [("oncall", recipient)]


def test_one_notice_per_ticket_and_none_for_ordinary_mail(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = processor.process(emergency("Sat, 28 Nov 2026 09:40:00 +0100"), "t", now=NOW)
    again = processor.process(build_mail(
        subject=f"SV: [MICO #{first['ticket']}] Serveren er nede", body="Den er stadig nede, ingen kan arbejde!",
        date="Sat, 28 Nov 2026 10:10:00 +0100", message_id="<akut-2@bageriet-soerensen.dk>"), "t", now=NOW)
    calm = processor.process(build_mail(date="Sat, 28 Nov 2026 11:00:00 +0100",
                                        message_id="<printer@bageriet-soerensen.dk>"), "t", now=NOW)

    assert again["ticket"] == first["ticket"] and again["priority"] == "emergency"
    assert calm["priority"] != "emergency"
    assert notices(engine) == [("oncall", "vagt@mico.dk")]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OncallNotice)) == 1


def test_a_reply_that_turns_a_ticket_into_an_emergency_raises_it_and_calls(settings: Settings,
                                                                          engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = processor.process(build_mail(date="Sat, 28 Nov 2026 09:00:00 +0100",
                                         message_id="<slow@bageriet-soerensen.dk>",
                                         subject="Serveren er langsom", body="Serveren er lidt langsom i dag."),
                              "t", now=NOW)
    assert first["priority"] != "emergency" and notices(engine) == []
    processor.process(build_mail(
        subject=f"SV: [MICO #{first['ticket']}] Serveren er langsom", body="Nu er serveren helt nede!",
        date="Sat, 28 Nov 2026 09:30:00 +0100", message_id="<down@bageriet-soerensen.dk>"), "t", now=NOW)

    assert notices(engine) == [("oncall", "vagt@mico.dk")]
    with Session(engine) as session:
        from inbox_worker.store.models import Ticket
        ticket = session.get(Ticket, first["ticket"])
        assert ticket is not None and ticket.priority == "emergency" and "emergency" in ticket.review


def test_a_notice_is_never_sent_to_a_customer(tmp_path: object, db_url: str, engine: Engine) -> None:
    from pathlib import Path
    settings = make_settings(Path(str(tmp_path)), db_url, company={"oncall_address": "lone@bageriet-soerensen.dk"})
    decision = Runner(settings, engine).process(emergency("Sat, 28 Nov 2026 09:40:00 +0100"), "t", now=NOW)
    assert decision["priority"] == "emergency"
    assert notices(engine) == []


@pytest.mark.parametrize("called, recipient", [
    (datetime(2026, 11, 27, 21, 0, tzinfo=UTC), "vagt@mico.dk"),           # Friday 22:00 Copenhagen: closed
    (datetime(2026, 11, 27, 10, 0, tzinfo=UTC), "support-team@mico.dk"),   # Friday 11:00: within hours
])
def test_an_emergency_phoned_in_queues_the_on_call_notice_by_the_same_path_as_mail(
        settings: Settings, engine: Engine, called: datetime, recipient: str) -> None:
    from inbox_worker.features.tickets.phone import PhoneCall, open_phone_ticket
    from inbox_worker.store.models import AuditEntry

    call = PhoneCall("bageriet", "lone@bageriet-soerensen.dk", "Serveren er nede",
                     "Lone ringer: serveren er nede og ingen kan arbejde, kassen virker heller ikke.")
    with Session(engine) as session, session.begin():
        ticket = open_phone_ticket(session, call, settings, "JH", called)
        number = ticket.id
        assert ticket.priority == "emergency" and "emergency" in ticket.review

    assert notices(engine) == [("oncall", recipient)]
    with Session(engine) as session:
        notice = session.get(OncallNotice, number)
        assert notice is not None and notice.recipient == recipient
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "phone-ticket")).one()
        rules = [entry["rule"] for entry in audit.details["trace"]]
        assert ("oncall-outside-hours" if recipient == "vagt@mico.dk" else "oncall-within-hours") in rules
        assert "ack-phone" in rules  # the customer is on the line: no acknowledgement
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
