"""How the clocks read for staff: time left or late in working time, "within the hour", paused, none; the
ticket page's two lines and its history as Danish sentences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import ResponseClocks
from inbox_worker.web.clock_panel import clock_panel, history_line
from inbox_worker.web.clock_text import LONG_MINUTES, Urgency, due_cell, left_text, working_minutes
from tests.clockseed import EMERGENCY, HIGH, MICO, NORMAL

CPH = ZoneInfo("Europe/Copenhagen")


def cph(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in December 2026 (Tuesday 1st, Friday 4th, Monday 7th), Copenhagen time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CPH)


def normal_from_tuesday_10() -> ResponseClocks:
    """First response due Tuesday 14:00; resolution (21 working hours) Friday 10:00."""
    return clock.start(NORMAL, cph(1, 10), MICO).clocks


def test_durations_read_compactly_in_danish() -> None:
    assert left_text(35, late=False) == "om 35 min"
    assert left_text(130, late=False) == "om 2 t 10 min"
    assert left_text(120, late=False) == "om 2 t"
    assert left_text(65, late=True) == "1 t 5 min for sent"
    assert left_text(0, late=True) == "for sent"
    assert left_text(0, late=False) == "om under 1 min"


def test_time_left_is_working_time_and_the_due_moment_is_the_title() -> None:
    cell = due_cell(normal_from_tuesday_10(), cph(1, 11, 50), MICO, CPH)
    assert (cell.text, cell.urgency, cell.target, cell.mark) == ("om 2 t 10 min", Urgency.ON_TIME, "svar", "")
    assert cell.title == "Første svar senest tir. 1.12. kl. 14:00"
    # Friday 15:50, due Monday 10:00: 10 working minutes on Friday and 60 on Monday, the weekend not counted.
    friday = clock.start(HIGH, cph(4, 15, 50), MICO).clocks
    assert friday.first_response_due == cph(7, 9, 50)
    assert due_cell(friday, cph(4, 15, 50), MICO, CPH).text == "om 1 t"


def test_within_the_hour_is_marked_with_a_symbol_not_colour_alone() -> None:
    cell = due_cell(normal_from_tuesday_10(), cph(1, 13), MICO, CPH)
    assert (cell.text, cell.urgency, cell.mark) == ("om 1 t", Urgency.SOON, "◔")
    assert due_cell(normal_from_tuesday_10(), cph(1, 12, 59), MICO, CPH).urgency == Urgency.ON_TIME


def test_late_counts_working_time_since_the_due_moment() -> None:
    # Due Tuesday 14:00; Wednesday 10:05 is Tue 14-16 and Wed 9-10:05 later: 3 t 5 min of working time.
    cell = due_cell(normal_from_tuesday_10(), cph(2, 10, 5), MICO, CPH)
    assert (cell.text, cell.urgency, cell.mark) == ("3 t 5 min for sent", Urgency.LATE, "⚠")


def test_late_after_closing_time_is_late_though_no_working_time_has_passed() -> None:
    at_closing = clock.start(HIGH, cph(4, 15), MICO).clocks  # due Friday 16:00 sharp
    cell = due_cell(at_closing, cph(5, 11), MICO, CPH)  # Saturday
    assert (cell.text, cell.urgency) == ("for sent", Urgency.LATE)


def test_a_ticket_forgotten_for_months_reads_over_40_hours_late_and_its_due_moment_has_the_year() -> None:
    cell = due_cell(normal_from_tuesday_10(), datetime(2027, 6, 1, 12, tzinfo=CPH), MICO, CPH)
    assert (cell.text, cell.urgency) == ("over 40 t for sent", Urgency.LATE)
    assert cell.title == "Første svar senest tir. 1.12. kl. 14:00 2026"
    assert left_text(LONG_MINUTES, late=True) == "40 t for sent"
    due = normal_from_tuesday_10().first_response_due
    just_over = MICO.due(due, LONG_MINUTES) + timedelta(seconds=30)  # 40 t and half a minute: still "40 t"
    assert working_minutes(MICO, due, just_over, ClockMode.OPENING_HOURS) == LONG_MINUTES


@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
       mode=st.sampled_from(list(ClockMode)))
def test_working_minutes_are_the_calendars_up_to_the_long_bound(start: datetime, span: timedelta,
                                                                 mode: ClockMode) -> None:
    begin = start.replace(tzinfo=CPH)
    exact = MICO.minutes_between(begin, begin + span, mode)
    assert working_minutes(MICO, begin, begin + span, mode) == (exact if exact <= LONG_MINUTES else LONG_MINUTES + 1)


def test_around_the_clock_counts_the_night() -> None:
    emergency = clock.start(EMERGENCY, cph(5, 2), MICO).clocks  # Saturday 02:00, first response due 02:30
    assert due_cell(emergency, cph(5, 3, 15), MICO, CPH).text == "45 min for sent"


def test_after_the_answer_the_cell_counts_down_to_the_resolution() -> None:
    answered = clock.first_response(normal_from_tuesday_10(), cph(1, 11), "svar fra JH")
    assert answered is not None
    cell = due_cell(answered.clocks, cph(1, 12), MICO, CPH)
    assert cell.target == "løsning" and cell.title == "Løsning senest fre. 4.12. kl. 10:00"


def test_waiting_shows_paused_a_closed_ticket_and_an_old_one_show_a_dash() -> None:
    answered = clock.first_response(normal_from_tuesday_10(), cph(1, 11), "svar fra JH")
    assert answered is not None
    paused = clock.pause(answered.clocks, cph(1, 12))
    assert paused is not None
    cell = due_cell(paused.clocks, cph(2, 12), MICO, CPH)
    assert (cell.text, cell.urgency, cell.mark) == ("pauset", Urgency.PAUSED, "‖")
    resolved = clock.resolve(answered.clocks, cph(1, 15), MICO)
    assert resolved is not None
    assert (due_cell(resolved.clocks, cph(2, 12), MICO, CPH).text, due_cell(None, cph(2, 12), MICO, CPH).text) == (
        "–", "–")
    assert due_cell(None, cph(2, 12), MICO, CPH).title == "Ingen frister: sagen er fra før svarfristerne"


def test_the_ticket_page_reads_both_clocks() -> None:
    panel = clock_panel(normal_from_tuesday_10(), [], cph(1, 13, 30), MICO, CPH)
    assert panel is not None
    first, resolution = panel.lines
    assert (first.name, first.target, first.due, first.state, first.detail, first.urgency) == (
        "Første svar", "4 t i åbningstiden", "tir. 1.12. kl. 14:00", "Åben", "om 30 min", Urgency.SOON)
    assert (resolution.name, resolution.target, resolution.due, resolution.state, resolution.detail) == (
        "Løsning", "21 t i åbningstiden", "fre. 4.12. kl. 10:00", "Åben", "om 17 t 30 min")
    assert (panel.rule, panel.overridden) == ("response-normal", False)


def test_a_late_answer_is_late_by_its_working_time_and_waiting_is_paused() -> None:
    answered = clock.first_response(normal_from_tuesday_10(), cph(2, 9, 30), "svar fra JH")  # due Tue 14:00
    assert answered is not None
    paused = clock.pause(answered.clocks, cph(2, 10))
    assert paused is not None
    panel = clock_panel(paused.clocks, [], cph(3, 12), MICO, CPH)
    assert panel is not None
    first, resolution = panel.lines
    assert (first.state, first.detail, first.urgency) == (
        "For sent", "svaret ons. 2.12. kl. 09:30, 2 t 30 min for sent", Urgency.LATE)
    assert (resolution.state, resolution.detail, resolution.urgency) == (
        "Pauset", "afventer kunde siden ons. 2.12. kl. 10:00", Urgency.PAUSED)


def test_waiting_added_to_the_target_and_a_met_resolution() -> None:
    answered = clock.first_response(normal_from_tuesday_10(), cph(1, 11), "svar fra JH")
    assert answered is not None
    paused = clock.pause(answered.clocks, cph(1, 12))
    assert paused is not None
    resumed = clock.resume(paused.clocks, cph(1, 15), MICO)  # three working hours of waiting
    assert resumed is not None
    resolved = clock.resolve(resumed.clocks, cph(2, 11), MICO)
    assert resolved is not None
    panel = clock_panel(resolved.clocks, [], cph(3, 12), MICO, CPH)
    assert panel is not None
    first, resolution = panel.lines
    assert (first.state, first.detail) == ("Mødt", "svaret tir. 1.12. kl. 11:00")
    assert (resolution.target, resolution.state, resolution.detail) == (
        "21 t i åbningstiden + 3 t ventetid", "Mødt", "løst ons. 2.12. kl. 11:00")


def test_closed_without_an_answer_and_staff_targets() -> None:
    closed = clock.resolve(normal_from_tuesday_10(), cph(1, 11), MICO)
    assert closed is not None
    overridden = clock.override(closed.clocks, 30, 600, ClockMode.AROUND_THE_CLOCK, "Kunden har ringet", MICO)
    panel = clock_panel(overridden.clocks, [], cph(3, 12), MICO, CPH)
    assert panel is not None and panel.overridden and panel.reason == "Kunden har ringet"
    assert (panel.lines[0].state, panel.lines[0].target) == ("Lukket uden svar", "30 min døgnet rundt")
    assert clock_panel(None, [], cph(3, 12), MICO, CPH) is None


@dataclass
class Event:
    event: str
    rule: str
    reason: str
    actor: str | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    created_at: datetime


def test_history_lines_say_what_happened_who_did_it_and_the_due_moments_it_left() -> None:
    started = history_line(Event("started", "response-normal", "Serviceaftale: svar inden for 4 arbejdstimer",
                                 None, cph(1, 14), cph(3, 10), cph(1, 10)), CPH, cph(2, 9))
    assert (started.when, started.actor) == ("tir. 1.12. kl. 10:00", "automatisk")
    assert started.text == ("Frister sat efter reglen response-normal: Serviceaftale: svar inden for 4 arbejdstimer. "
                            "Første svar senest tir. 1.12. kl. 14:00, løsning senest tor. 3.12. kl. 10:00.")
    paused = history_line(Event("paused", "waiting-pauses", "Afventer kunden: løsningsfristen står stille", "JH",
                                cph(1, 14), cph(3, 10), cph(1, 12)), CPH, cph(2, 9))
    assert (paused.actor, paused.text) == ("JH", "Afventer kunden: løsningsfristen står stille. Første svar senest "
                                                 "tir. 1.12. kl. 14:00, løsning senest tor. 3.12. kl. 10:00.")
    staff = history_line(Event("overridden", "staff-override", "Frister sat af en medarbejder: aftalt pr. telefon.",
                               "KB", None, cph(4, 10), cph(2, 9)), CPH, cph(2, 9))
    assert staff.text == "Frister sat af en medarbejder: aftalt pr. telefon. Løsning senest fre. 4.12. kl. 10:00."
