"""Each event moves the right response-time clock, through the real path (mail by the pipeline, staff by the
features), on both databases, with a controlled clock; every move is a `response_events` row with its rule.

Bageriet (active agreement) writes about the printer: response-normal, 4 working hours to the first
answer, 3 working days (21 h) to the resolution, in opening hours (09-16 Copenhagen, CET in December).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.features.tickets.clocks import ClockSetup
from inbox_worker.features.tickets.edit import set_field
from inbox_worker.features.tickets.phone import PhoneCall, open_phone_ticket
from inbox_worker.features.tickets.reply import queue_reply
from inbox_worker.features.tickets.targets import set_targets
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.runner import Runner
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.models import DecisionLog, OutboxMessage, ResponseEvent, Ticket
from tests.mailbuilder import build_mail

CPH = ZoneInfo("Europe/Copenhagen")
FIRST_MAIL = "<printer-1@bageriet-soerensen.dk>"


def cph(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in December 2026, Copenhagen time, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CPH).astimezone(UTC)


def ticket_of(engine: Engine, number: int) -> Ticket:
    with Session(engine) as session:
        ticket = session.get(Ticket, number)
        assert ticket is not None
        return ticket


def events(engine: Engine, number: int) -> list[ResponseEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(ResponseEvent).where(ResponseEvent.ticket_id == number)
                                    .order_by(ResponseEvent.id)))


def open_printer_ticket(settings: Settings, engine: Engine, at: datetime) -> int:
    decision = Runner(settings, engine).process(build_mail(message_id=FIRST_MAIL), "printer", now=at)
    assert decision["outcome"] == "new_ticket" and decision["ack"] == "queued"
    return int(decision["ticket"])


def follow_up(settings: Settings, engine: Engine, at: datetime, body: str, sender: str = "lone@bageriet-soerensen.dk",
              name: str = "Lone Sørensen", number: int | None = None) -> dict[str, object]:
    subject = f"Sv: [MICO #{number}] Printeren virker ikke" if number else "Sv: Printeren virker ikke"
    raw = build_mail(sender=sender, name=name, subject=subject, body=body, in_reply_to=FIRST_MAIL)
    return Runner(settings, engine).process(raw, f"follow-up {at}", now=at)


def staff_action(settings: Settings, engine: Engine, number: int, field: str, value: str, at: datetime) -> None:
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, number)
        assert ticket is not None
        set_field(session, ticket, field, value, "JH", at, ClockSetup.from_settings(settings))


def test_a_new_ticket_gets_both_clocks_from_its_arrival_and_the_acknowledgement_does_not_answer_it(
        settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))

    ticket = ticket_of(engine, number)
    assert ticket.response_rule == "response-normal" and ticket.clock_mode == "opening_hours"
    assert ticket.first_response_due_at == cph(1, 13)  # Tuesday 09:00 + 4 working hours
    assert ticket.resolution_due_at == cph(3, 16)  # + 21 working hours: Thursday at closing
    assert ticket.first_response_at is None and ticket.next_due_at == cph(1, 13)  # the ack is queued, not an answer
    with Session(engine) as session:
        assert session.scalar(select(OutboxMessage.kind).where(OutboxMessage.ticket_id == number)) == "ack"
        logged = session.scalar(select(DecisionLog.decision).where(DecisionLog.ticket_id == number))
    assert logged is not None and logged["response"] == {
        "rule": "response-normal", "clock": "opening_hours", "first_response_due": cph(1, 13).isoformat(),
        "resolution_due": cph(3, 16).isoformat(), "events": ["started"]}
    [started] = events(engine, number)
    assert (started.event, started.rule, started.actor, started.created_at) == (
        "started", "response-normal", None, cph(1, 9))
    assert started.reason.startswith("Serviceaftale: svar inden for 4 arbejdstimer")


def test_the_first_staff_reply_on_the_web_path_meets_the_first_response_and_a_second_does_not(
        settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))
    for minutes in (60, 90):
        with Session(engine) as session, session.begin():
            ticket = session.get(Ticket, number)
            assert ticket is not None
            queued = queue_reply(session, Renderer(settings), ticket, "Vi kigger på printeren.", "JH",
                                 "Jens Hansen", cph(1, 9) + timedelta(minutes=minutes))
        assert (queued.clock is not None) == (minutes == 60)

    ticket = ticket_of(engine, number)
    assert ticket.first_response_at == cph(1, 10) and ticket.next_due_at == cph(3, 16)  # now the resolution
    answered = events(engine, number)[-1]
    assert (answered.event, answered.rule, answered.actor) == ("first-response", "first-response", "JH")
    assert answered.reason == "Første svar (svar fra JH) inden for fristen"


def test_a_colleagues_own_mail_on_the_thread_meets_the_first_response_and_keeps_the_ticket_waiting(
        settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))
    staff_action(settings, engine, number, "status", "waiting", cph(1, 9, 30))

    decision = follow_up(settings, engine, cph(1, 14), "Hej Lone\n\nVi kommer forbi i morgen.\n\nMvh Jens",
                         sender="jh@mico.dk", name="Jens Hansen", number=number)

    assert decision["outcome"] == "updated_ticket" and decision["response"]["events"] == ["first-response"]
    ticket = ticket_of(engine, number)
    assert ticket.first_response_at == cph(1, 14) and ticket.status == "waiting"  # late: due 13:00
    assert ticket.paused_at == cph(1, 9, 30)  # a colleague's mail is no answer from the customer
    answered = events(engine, number)[-1]
    assert (answered.event, answered.actor) == ("first-response", "jh@mico.dk")
    assert answered.reason == "Første svar (mail fra jh@mico.dk) efter fristen"


def test_waiting_pauses_the_resolution_and_the_customers_answer_resumes_it_later_by_the_working_time_waited(
        settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))
    staff_action(settings, engine, number, "status", "waiting", cph(1, 10))
    paused = ticket_of(engine, number)
    assert paused.paused_at == cph(1, 10) and paused.next_due_at == cph(1, 13)  # the first response still runs
    assert paused.resolution_due_at == cph(3, 16)

    decision = follow_up(settings, engine, cph(2, 10), "Hej\n\nDen er tændt nu, men den printer stadig ikke.\n\nLone")

    # Waited: Tuesday 10:00-16:00 and Wednesday 09:00-10:00, 7 working hours; Thursday 16:00 + 7 h is Friday 16:00.
    resumed = ticket_of(engine, number)
    assert resumed.status == "open" and resumed.paused_at is None and resumed.paused_minutes == 420
    assert resumed.resolution_due_at == cph(4, 16)
    assert decision["response"]["events"] == ["resumed"]
    assert decision["response"]["resolution_due"] == cph(4, 16).isoformat()
    assert [(e.event, e.rule) for e in events(engine, number)] == [
        ("started", "response-normal"), ("paused", "waiting-pauses"), ("resumed", "customer-reply-resumes")]
    assert events(engine, number)[-1].reason == "Kunden har svaret: løsningsfristen kører igen, 7 t senere"


def test_a_follow_up_that_raises_the_priority_recomputes_the_targets_from_the_same_start(
        settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))

    decision = follow_up(settings, engine, cph(1, 11), "Nu er serveren helt nede og ingen kan arbejde.\n\nLone")

    assert decision["priority"] == "emergency" and decision["response"]["rule"] == "response-emergency"
    ticket = ticket_of(engine, number)
    assert (ticket.priority, ticket.clock_mode) == ("emergency", "around_the_clock")
    assert ticket.first_response_due_at == cph(1, 9, 30) and ticket.resolution_due_at == cph(1, 13)
    recomputed = events(engine, number)[-1]
    assert (recomputed.event, recomputed.rule) == ("recomputed", "response-emergency")
    assert recomputed.reason == "Akut, kritisk fejl: fristerne løber døgnet rundt"


def test_staff_raising_or_lowering_the_priority_recomputes_by_the_rules(settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))
    staff_action(settings, engine, number, "priority", "high", cph(1, 9, 10))
    raised = ticket_of(engine, number)
    assert raised.response_rule == "response-high" and raised.first_response_due_at == cph(1, 10)
    staff_action(settings, engine, number, "priority", "normal", cph(1, 9, 20))
    assert ticket_of(engine, number).first_response_due_at == cph(1, 13)
    assert [(e.event, e.rule, e.actor) for e in events(engine, number)][1:] == [
        ("recomputed", "response-high", "JH"), ("recomputed", "response-normal", "JH")]


def test_targets_staff_set_by_hand_win_over_a_later_priority_raise(settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))
    with Session(engine) as session, session.begin():
        set_targets(session, number, 60, 120, None, "Aftalt med Lone i telefonen", "JH",
                    ClockSetup.from_settings(settings), cph(1, 9, 5))

    decision = follow_up(settings, engine, cph(1, 9, 30), "Nu er serveren helt nede og ingen kan arbejde.\n\nLone")

    ticket = ticket_of(engine, number)
    assert ticket.priority == "emergency"  # the ticket is raised ...
    assert (ticket.response_rule, ticket.first_response_due_at, ticket.resolution_due_at) == (
        "staff-override", cph(1, 10), cph(1, 11))  # ... its clocks keep the staff's targets
    assert decision["response"] == {"rule": "staff-override", "clock": "opening_hours",
                                    "first_response_due": cph(1, 10).isoformat(),
                                    "resolution_due": cph(1, 11).isoformat(), "events": []}
    with Session(engine) as session:
        trace = session.scalars(select(DecisionLog.trace).order_by(DecisionLog.id.desc())).first()
    assert trace is not None and "staff-targets-kept" in [entry["rule"] for entry in trace]
    overridden = events(engine, number)[-1]
    assert (overridden.event, overridden.rule, overridden.actor) == ("overridden", "staff-override", "JH")
    assert overridden.reason == "Frister sat af en medarbejder: Aftalt med Lone i telefonen"


def test_closing_resolves_and_a_reply_within_the_window_reopens_with_both_clocks_started_again(
        settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))
    staff_action(settings, engine, number, "status", "closed", cph(1, 11))
    assert ticket_of(engine, number).resolved_at == cph(1, 11) and ticket_of(engine, number).next_due_at is None

    decision = follow_up(settings, engine, cph(7, 10), "Hej\n\nNu driller den igen.\n\nLone")

    assert decision["outcome"] == "reopened_ticket" and decision["response"]["events"] == ["reopened"]
    ticket = ticket_of(engine, number)
    assert (ticket.clock_started_at, ticket.resolved_at, ticket.first_response_at) == (cph(7, 10), None, None)
    assert ticket.first_response_due_at == cph(7, 14) and ticket.resolution_due_at == cph(10, 10)
    assert [(e.event, e.rule) for e in events(engine, number)][1:] == [
        ("resolved", "closed-resolves"), ("reopened", "response-normal")]
    assert events(engine, number)[1].reason == "Sagen er lukket inden for løsningsfristen"


def test_staff_opening_a_closed_ticket_again_restarts_its_clocks(settings: Settings, engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))
    staff_action(settings, engine, number, "status", "closed", cph(1, 11))
    staff_action(settings, engine, number, "status", "open", cph(2, 9))
    ticket = ticket_of(engine, number)
    assert (ticket.clock_started_at, ticket.resolved_at, ticket.first_response_due_at) == (cph(2, 9), None, cph(2, 13))
    assert events(engine, number)[-1].event == "reopened"


def test_a_phone_ticket_is_answered_at_once_the_call_is_the_first_response(settings: Settings,
                                                                             engine: Engine) -> None:
    call = PhoneCall("bageriet", "lone@bageriet-soerensen.dk", "Printeren", "Lone ringer: printeren virker ikke.")
    with Session(engine) as session, session.begin():
        number = open_phone_ticket(session, call, settings, "JH", cph(1, 10)).id

    ticket = ticket_of(engine, number)
    assert (ticket.clock_started_at, ticket.first_response_at) == (cph(1, 10), cph(1, 10))
    assert ticket.next_due_at == ticket.resolution_due_at == cph(4, 10)
    assert [(e.event, e.rule, e.actor) for e in events(engine, number)] == [
        ("started", "response-normal", "JH"), ("first-response", "first-response", "JH")]
    assert events(engine, number)[-1].reason == "Første svar (telefonopkald) inden for fristen"


def test_a_ticket_merged_into_another_stops_its_clocks(settings: Settings, engine: Engine) -> None:
    from inbox_worker.features.tickets.merge import merge

    first = open_printer_ticket(settings, engine, cph(1, 9))
    second = Runner(settings, engine).process(build_mail(subject="Printeren igen"), "second", now=cph(1, 9, 5))
    with Session(engine) as session, session.begin():
        source = session.get(Ticket, second["ticket"])
        assert source is not None
        merge(session, source, first, "JH", cph(1, 9, 10), ClockSetup.from_settings(settings))
    merged = ticket_of(engine, int(second["ticket"]))
    assert merged.resolved_at == cph(1, 9, 10) and merged.next_due_at is None
    assert events(engine, int(second["ticket"]))[-1].reason == f"Flettet ind i sag #{first}: fristerne følger den sag"
    assert ticket_of(engine, first).next_due_at == cph(1, 13)  # the other ticket's clock runs on


RAISE = "Nu er serveren helt nede og ingen kan arbejde.\n\nLone"


def _follow_up_mail(body: str, n: int) -> IncomingMail:
    return IncomingMail(build_mail(subject="Sv: Printeren virker ikke", body=body, in_reply_to=FIRST_MAIL,
                                   message_id=f"<printer-{n}@bageriet-soerensen.dk>"), f"mail {n}")


def test_a_batch_takes_the_clocks_it_decided_before_its_write_when_nothing_changed(settings: Settings,
                                                                                    engine: Engine) -> None:
    runner = Runner(settings, engine)
    batch = [IncomingMail(build_mail(message_id=FIRST_MAIL), "mail 1"), _follow_up_mail(RAISE, 2),
             _follow_up_mail("Hej\n\nTak for hjælpen.\n\nLone", 3)]

    decisions = runner.process_batch(batch, cph(1, 9))

    assert runner.decided_again == 0  # the later mails read the clocks the earlier ones would write, as written
    assert [[c.event.value for c in d.response.changes] for d in decisions if d.response] == [
        ["started"], ["recomputed"], []]
    assert ticket_of(engine, int(decisions[0].ticket or 0)).response_rule == "response-emergency"


def test_targets_set_between_deciding_and_writing_make_the_mail_be_decided_again_on_them(settings: Settings,
                                                                                          engine: Engine) -> None:
    number = open_printer_ticket(settings, engine, cph(1, 9))

    class StaffMeanwhile(Runner):
        def _prepare(self, items: Any, now: datetime) -> Any:
            prepared = super()._prepare(items, now)
            with Session(engine) as session, session.begin():  # the web UI, while the batch waits for its turn
                set_targets(session, number, 60, 120, None, "Aftalt med Lone", "JH",
                            ClockSetup.from_settings(settings), now)
            return prepared

    runner = StaffMeanwhile(settings, engine)
    [decision] = runner.process_batch([_follow_up_mail(RAISE, 2)], cph(1, 9, 30))

    assert runner.decided_again == 1  # only the clocks changed, and that is enough
    assert decision.response is not None and decision.response.changes == ()  # the staff's targets stay
    assert ticket_of(engine, number).response_rule == "staff-override"
