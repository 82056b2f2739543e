"""Each event moves the right clock: a staff answer meets the first response, waiting pauses the
resolution clock and a customer reply resumes it, new targets recompute, reopening restarts both."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.response_clock import ClockEvent, ResponseTargets, Target
from inbox_worker.domain.worktime import WorkCalendar

CPH = ZoneInfo("Europe/Copenhagen")
MICO = WorkCalendar(OfficeHours())
NORMAL = ResponseTargets(240, 2 * 7 * 60, ClockMode.OPENING_HOURS, "response-normal", "Almindelig henvendelse")
HIGH = ResponseTargets(60, 7 * 60, ClockMode.OPENING_HOURS, "response-high", "Serverpakken")


def cph(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in December 2026 (Tuesday 1st ... Thursday 31st), Copenhagen time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CPH)


def started() -> clock.ResponseClocks:
    """A normal ticket that arrived Tuesday 1 December 10:00."""
    return clock.start(NORMAL, cph(1, 10), MICO).clocks


def test_a_new_ticket_starts_both_clocks_from_its_arrival() -> None:
    change = clock.start(NORMAL, cph(1, 10), MICO)
    assert change.event == ClockEvent.STARTED and change.rule == "response-normal"
    assert change.clocks.first_response_due == cph(1, 14)
    assert change.clocks.resolution_due == cph(3, 10)  # two working days: Tue 6 h, Wed 7 h, Thu 1 h
    assert change.clocks.next_due == (Target.FIRST_RESPONSE, cph(1, 14))


def test_the_first_staff_answer_meets_the_first_response_and_only_the_first() -> None:
    answered = clock.first_response(started(), cph(1, 11), "svar fra JH")
    assert answered is not None and answered.clocks.first_response_at == cph(1, 11)
    assert answered.clocks.first_response_met() is True and "inden for" in answered.reason
    assert answered.clocks.next_due == (Target.RESOLUTION, cph(3, 10))
    assert clock.first_response(answered.clocks, cph(1, 12), "svar fra JH") is None


def test_a_late_first_answer_is_recorded_as_late() -> None:
    late = clock.first_response(started(), cph(2, 9, 30), "svar fra JH")
    assert late is not None and late.clocks.first_response_met() is False and "efter" in late.reason


def test_waiting_pauses_the_resolution_clock_and_a_customer_reply_resumes_it_later() -> None:
    answered = clock.first_response(started(), cph(1, 11), "svar fra JH")
    assert answered is not None
    paused = clock.pause(answered.clocks, cph(1, 12))
    assert paused is not None and paused.clocks.next_due is None
    assert clock.pause(paused.clocks, cph(1, 13)) is None  # already waiting
    # The customer answers Thursday 12:00: Tue 12-16, Wed 9-16, Thu 9-12 = 14 working hours of waiting.
    resumed = clock.resume(paused.clocks, cph(3, 12), MICO)
    assert resumed is not None and resumed.event == ClockEvent.RESUMED
    assert resumed.clocks.paused_minutes == 14 * 60
    # Due Thursday 10:00 + 14 working hours: Thu 10-16, Fri 9-16, Mon 9-10 -> Monday 7 December 10:00.
    assert resumed.clocks.resolution_due == cph(7, 10)
    assert "14 t senere" in resumed.reason
    assert clock.resume(resumed.clocks, cph(3, 13), MICO) is None


def test_waiting_never_pauses_the_first_response() -> None:
    paused = clock.pause(started(), cph(1, 11))
    assert paused is not None and paused.clocks.next_due == (Target.FIRST_RESPONSE, cph(1, 14))


def test_a_ticket_already_late_when_set_to_waiting_stays_as_late() -> None:
    paused = clock.pause(started(), cph(4, 9))  # resolution was due Thursday 10:00
    assert paused is not None
    resumed = clock.resume(paused.clocks, cph(8, 9), MICO)
    assert resumed is not None and resumed.clocks.resolution_due == cph(3, 10) and resumed.clocks.paused_minutes == 0


def test_a_raised_priority_recomputes_from_the_same_start() -> None:
    raised = clock.retarget(started(), HIGH, MICO)
    assert raised is not None and raised.event == ClockEvent.RECOMPUTED and raised.rule == "response-high"
    assert raised.clocks.first_response_due == cph(1, 11) and raised.clocks.resolution_due == cph(2, 10)
    assert clock.retarget(raised.clocks, HIGH, MICO) is None  # same targets: nothing changes


def test_staff_targets_win_over_later_recomputes_until_staff_change_them() -> None:
    overridden = clock.override(started(), 30, 120, ClockMode.AROUND_THE_CLOCK, "Kunden står uden kasse", MICO)
    assert overridden.clocks.first_response_due == cph(1, 10, 30)
    assert overridden.clocks.resolution_due == cph(1, 12) and "Kunden står uden kasse" in overridden.reason
    assert clock.retarget(overridden.clocks, HIGH, MICO) is None


def test_closing_stops_the_resolution_clock_and_says_whether_it_was_in_time() -> None:
    closed = clock.resolve(started(), cph(2, 15), MICO)
    assert closed is not None and closed.clocks.resolution_met() is True and closed.clocks.next_due is None
    assert clock.resolve(closed.clocks, cph(2, 16), MICO) is None


def test_closing_while_waiting_does_not_count_the_waiting() -> None:
    paused = clock.pause(started(), cph(1, 12))
    assert paused is not None
    closed = clock.resolve(paused.clocks, cph(10, 12), MICO)  # a week and more later, still waiting
    assert closed is not None and closed.clocks.resolution_met() is True


def test_reopening_restarts_both_clocks_from_the_new_mail() -> None:
    closed = clock.resolve(started(), cph(2, 15), MICO)
    assert closed is not None
    reopened = clock.reopen(closed.clocks, NORMAL, cph(8, 9), MICO)
    assert reopened.event == ClockEvent.REOPENED and reopened.clocks.started_at == cph(8, 9)
    assert reopened.clocks.first_response_due == cph(8, 13) and reopened.clocks.resolved_at is None


def test_time_left_is_working_time_and_negative_when_late() -> None:
    clocks = started()  # first response due Tuesday 14:00
    assert clock.minutes_left(clocks, cph(1, 13, 30), MICO) == 30
    assert clock.minutes_left(clocks, cph(2, 9, 15), MICO) == -(2 * 60 + 15)  # Tue 14-16, Wed 9-9:15
    answered = clock.first_response(clocks, cph(1, 11), "svar")
    closed = clock.resolve(answered.clocks, cph(1, 12), MICO) if answered else None
    assert closed is not None and clock.minutes_left(closed.clocks, cph(1, 13), MICO) is None
