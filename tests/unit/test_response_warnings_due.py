"""Which promises are due a warning at a moment (working minutes on the ticket's clock), and what the notice says."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import ResponseClocks, ResponseTargets, Target
from inbox_worker.features.response.due import DueWarning, warnings_due
from inbox_worker.features.response.notice import NoticeFacts, time_text, warning_subject
from tests.clocks import EMERGENCY, HIGH, MICO, NORMAL, local

CPH = ZoneInfo("Europe/Copenhagen")


def due_at(clocks: ResponseClocks, now: datetime, status: str = "open") -> list[tuple[str, bool, int]]:
    return [(w.target.value, w.late, w.minutes) for w in warnings_due(clocks, status, now, MICO, 30)]


def begun(targets: ResponseTargets, at: datetime) -> ResponseClocks:
    return clock.start(targets, at, MICO).clocks


def test_the_first_response_is_warned_about_thirty_working_minutes_before_it_is_due() -> None:
    clocks = begun(NORMAL, local(2026, 11, 17, 9))  # Tuesday: the first answer is due 13:00
    assert due_at(clocks, local(2026, 11, 17, 12, 29)) == []
    assert due_at(clocks, local(2026, 11, 17, 12, 30)) == [("first_response", False, 30)]
    assert due_at(clocks, local(2026, 11, 17, 13)) == [("first_response", False, 0)]
    assert due_at(clocks, local(2026, 11, 17, 13, 5)) == [("first_response", True, 5)]


def test_friday_at_closing_time_warns_about_a_promise_due_monday_morning() -> None:
    clocks = begun(HIGH, local(2026, 11, 20, 15, 30))  # 60 working minutes: 30 on Friday, 30 on Monday
    assert clocks.first_response_due == local(2026, 11, 23, 9, 30)
    assert due_at(clocks, local(2026, 11, 20, 15, 59)) == []  # 31 working minutes left
    assert due_at(clocks, local(2026, 11, 20, 16)) == [("first_response", False, 30)]  # 65 hours before, in real time
    assert due_at(clocks, local(2026, 11, 22, 12)) == [("first_response", False, 30)]  # Sunday: the clock stands


def test_the_resolution_is_warned_about_once_answered_and_both_when_both_are_near() -> None:
    answered = clock.first_response(begun(NORMAL, local(2026, 11, 17, 9)), local(2026, 11, 17, 10), "svar fra JH")
    assert answered is not None  # resolution due Thursday 19 November 16:00
    assert due_at(answered.clocks, local(2026, 11, 19, 15, 29)) == []
    assert due_at(answered.clocks, local(2026, 11, 19, 15, 30)) == [("resolution", False, 30)]
    never_answered = begun(NORMAL, local(2026, 11, 17, 9))
    # Late since Tuesday 13:00: Tue 13-16 (180) + Wed (420) + Thu 9-15:30 (390) = 990 working minutes.
    assert due_at(never_answered, local(2026, 11, 19, 15, 30)) == [("first_response", True, 990),
                                                                  ("resolution", False, 30)]


def test_none_while_waiting_for_the_customer_or_once_closed() -> None:
    clocks = begun(NORMAL, local(2026, 11, 17, 9))
    assert due_at(clocks, local(2026, 11, 17, 12, 45), status="waiting") == []
    paused = clock.pause(clocks, local(2026, 11, 17, 10))
    assert paused is not None
    assert due_at(paused.clocks, local(2026, 11, 19, 15, 45), status="waiting") == []
    closed = clock.resolve(clocks, local(2026, 11, 17, 11), MICO)
    assert closed is not None
    assert due_at(closed.clocks, local(2026, 11, 17, 12, 45)) == []
    assert due_at(closed.clocks, local(2026, 11, 17, 12, 45), status="closed") == []


def test_a_promise_missed_after_closing_time_is_late_by_no_working_minute_yet() -> None:
    clocks = begun(NORMAL, local(2026, 11, 20, 12))  # Friday: due 16:00
    assert due_at(clocks, local(2026, 11, 20, 17)) == [("first_response", True, 0)]


def test_an_emergency_counts_every_minute() -> None:
    clocks = begun(EMERGENCY, local(2026, 11, 21, 3))  # Saturday night: the first answer is due 03:30
    assert due_at(clocks, local(2026, 11, 21, 2, 59)) == []
    assert due_at(clocks, local(2026, 11, 21, 3)) == [("first_response", False, 30)]


FACTS = NoticeFacts(42, "Printeren", "Bageriet Sørensen ApS", "lone@bageriet-soerensen.dk", "JH",
                    ClockMode.OPENING_HOURS, "Serviceaftale")


def test_the_subject_names_the_ticket_the_promise_and_when_it_is_due() -> None:
    now = local(2026, 11, 20, 12, 30)
    soon = DueWarning(Target.FIRST_RESPONSE, local(2026, 11, 20, 13), False, 30)
    assert warning_subject(FACTS, soon, now, CPH) == "Sag #42 når snart fristen for første svar (kl. 13:00)"
    monday = DueWarning(Target.FIRST_RESPONSE, local(2026, 11, 23, 9, 30), False, 30)
    assert warning_subject(FACTS, monday, now, CPH) == "Sag #42 når snart fristen for første svar (man. 23.11. kl. 09:30)"
    late = DueWarning(Target.RESOLUTION, local(2026, 11, 20, 11), True, 90)
    assert warning_subject(FACTS, late, now, CPH) == "Sag #42 har overskredet løsningsfristen (kl. 11:00)"


def test_the_time_left_or_late_in_working_time() -> None:
    due = local(2026, 11, 20, 13)
    assert time_text(DueWarning(Target.FIRST_RESPONSE, due, False, 30), ClockMode.OPENING_HOURS) == \
        "30 min tilbage i åbningstiden"
    assert time_text(DueWarning(Target.FIRST_RESPONSE, due, True, 65), ClockMode.AROUND_THE_CLOCK) == \
        "overskredet med 1 t 5 min (døgnet rundt)"
    assert time_text(DueWarning(Target.FIRST_RESPONSE, due, True, 0), ClockMode.OPENING_HOURS) == "overskredet"
