"""The working-time clock: due moments and elapsed working time in MICO's opening hours (09-16, Mon-Fri,
Danish public holidays, configured closed days, Europe/Copenhagen with DST). Every moment is fixed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.worktime import WorkCalendar

CPH = ZoneInfo("Europe/Copenhagen")
MICO = WorkCalendar(OfficeHours())
ALWAYS = ClockMode.AROUND_THE_CLOCK


def cph(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CPH)


def local(moment: datetime) -> datetime:
    return moment.astimezone(CPH)


# --- due moments --------------------------------------------------------------------------------------


def test_friday_1555_plus_an_hour_is_due_monday_0955() -> None:
    assert local(MICO.due(cph(2026, 11, 27, 15, 55), 60)) == cph(2026, 11, 30, 9, 55)


def test_friday_1555_plus_five_minutes_is_due_at_closing_the_same_day() -> None:
    assert local(MICO.due(cph(2026, 11, 27, 15, 55), 5)) == cph(2026, 11, 27, 16, 0)


def test_a_mail_at_the_weekend_starts_counting_monday_at_nine() -> None:
    assert local(MICO.due(cph(2026, 11, 28, 10, 0), 30)) == cph(2026, 11, 30, 9, 30)
    assert local(MICO.due(cph(2026, 11, 29, 23, 59), 30)) == cph(2026, 11, 30, 9, 30)


def test_a_mail_at_three_at_night_starts_counting_at_nine() -> None:
    assert local(MICO.due(cph(2026, 12, 1, 3, 0), 60)) == cph(2026, 12, 1, 10, 0)


def test_a_mail_after_closing_starts_counting_the_next_morning() -> None:
    assert local(MICO.due(cph(2026, 12, 1, 16, 0), 60)) == cph(2026, 12, 2, 10, 0)
    assert local(MICO.due(cph(2026, 12, 1, 20, 30), 60)) == cph(2026, 12, 2, 10, 0)


def test_a_long_target_runs_over_several_working_days() -> None:
    # Two working days (14 h) from Thursday 12:00: Thu 4 h, Fri 7 h, Mon 3 h.
    assert local(MICO.due(cph(2026, 11, 26, 12, 0), 14 * 60)) == cph(2026, 11, 30, 12, 0)


def test_easter_skips_maundy_thursday_good_friday_and_easter_monday() -> None:
    # 2026: Easter Sunday 5 April. Wednesday 1 April 15:00 + 2 h: 1 h on Wednesday, then Tuesday 7 April.
    assert local(MICO.due(cph(2026, 4, 1, 15, 0), 120)) == cph(2026, 4, 7, 10, 0)


def test_ascension_day_is_closed() -> None:
    # 2026: Kristi himmelfartsdag is Thursday 14 May.
    assert local(MICO.due(cph(2026, 5, 13, 15, 30), 60)) == cph(2026, 5, 15, 9, 30)


def test_whit_monday_is_closed() -> None:
    # 2026: 2. pinsedag is Monday 25 May.
    assert local(MICO.due(cph(2026, 5, 22, 15, 0), 120)) == cph(2026, 5, 26, 10, 0)


def test_christmas_is_closed_and_configured_closed_days_are_too() -> None:
    # 2026: 24 December is a Thursday (not a public holiday), 25 a Friday, 26 a Saturday.
    assert local(MICO.due(cph(2026, 12, 23, 15, 0), 8 * 60)) == cph(2026, 12, 24, 16, 0)
    with_christmas_eve = WorkCalendar(OfficeHours(closed_days=("12-24", "12-31")))
    assert local(with_christmas_eve.due(cph(2026, 12, 23, 15, 0), 8 * 60)) == cph(2026, 12, 28, 16, 0)


def test_new_years_day_is_closed() -> None:
    # 2027: 1 January is a Friday; Thursday 31 December 15:00 + 2 h -> Monday 4 January 10:00.
    assert local(MICO.due(cph(2026, 12, 31, 15, 0), 120)) == cph(2027, 1, 4, 10, 0)


def test_store_bededag_is_a_working_day_since_2024() -> None:
    # 2026: the fourth Friday after Easter, 1 May, was store bededag until 2023.
    assert local(MICO.due(cph(2026, 4, 30, 15, 0), 120)) == cph(2026, 5, 1, 10, 0)


def test_spring_dst_night_changes_nothing_in_working_time() -> None:
    # 2026: clocks go 02:00 -> 03:00 on Sunday 29 March. Friday 15:00 CET + 2 h -> Monday 10:00 CEST.
    due = MICO.due(cph(2026, 3, 27, 15, 0), 120)
    assert local(due) == cph(2026, 3, 30, 10, 0)
    assert due.utcoffset() == timedelta(0) and due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_autumn_dst_night_changes_nothing_in_working_time() -> None:
    # 2026: clocks go 03:00 -> 02:00 on Sunday 25 October. Friday 15:00 CEST + 2 h -> Monday 10:00 CET.
    due = MICO.due(cph(2026, 10, 23, 15, 0), 120)
    assert local(due) == cph(2026, 10, 26, 10, 0)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_around_the_clock_counts_real_hours_across_both_dst_nights() -> None:
    # Saturday 23:00 + 4 h of real time: spring loses an hour of wall clock, autumn repeats one.
    assert local(MICO.due(cph(2026, 3, 28, 23, 0), 240, ALWAYS)) == cph(2026, 3, 29, 4, 0)
    assert local(MICO.due(cph(2026, 10, 24, 23, 0), 240, ALWAYS)) == cph(2026, 10, 25, 2, 0)
    assert MICO.between(cph(2026, 3, 28, 23, 0), cph(2026, 3, 29, 4, 0), ALWAYS) == timedelta(hours=4)


def test_zero_minutes_is_due_at_once() -> None:
    start = cph(2026, 11, 28, 10, 0)
    assert MICO.due(start, 0) == start


def test_other_opening_hours_and_weekdays_are_respected() -> None:
    saturdays_too = WorkCalendar(OfficeHours(opens=time(8, 0), closes=time(12, 0), weekdays=frozenset(range(6))))
    assert local(saturdays_too.due(cph(2026, 11, 27, 11, 0), 120)) == cph(2026, 11, 28, 9, 0)


def test_a_calendar_that_is_never_open_is_an_error_not_a_hang() -> None:
    never = WorkCalendar(OfficeHours(weekdays=frozenset()))
    with pytest.raises(ValueError, match="no opening hours"):
        never.due(cph(2026, 11, 27, 10, 0), 60)


# --- working time between two moments --------------------------------------------------------------------


def test_working_time_over_a_weekend_is_only_the_open_hours() -> None:
    assert MICO.between(cph(2026, 11, 27, 15, 0), cph(2026, 11, 30, 10, 0)) == timedelta(hours=2)


def test_working_time_over_easter_counts_neither_holidays_nor_nights() -> None:
    assert MICO.between(cph(2026, 4, 1, 15, 0), cph(2026, 4, 7, 10, 0)) == timedelta(hours=2)


def test_working_time_within_one_closed_stretch_is_zero() -> None:
    assert MICO.between(cph(2026, 11, 27, 16, 30), cph(2026, 11, 30, 8, 59)) == timedelta(0)


def test_working_time_backwards_is_zero() -> None:
    assert MICO.between(cph(2026, 11, 30, 10, 0), cph(2026, 11, 27, 15, 0)) == timedelta(0)


def test_working_minutes_round_down() -> None:
    assert MICO.minutes_between(cph(2026, 11, 30, 9, 0), cph(2026, 11, 30, 9, 1) + timedelta(seconds=59)) == 1


# --- the two agree ----------------------------------------------------------------------------------------

_moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(start=_moments, minutes=st.integers(min_value=0, max_value=40 * 60))
def test_the_working_time_until_a_due_moment_is_the_duration(start: datetime, minutes: int) -> None:
    due = MICO.due(start, minutes)
    assert MICO.between(start, due) == timedelta(minutes=minutes)
    # And the due moment is the earliest such: a minute earlier, less than the duration has been worked.
    if minutes:
        assert MICO.between(start, due - timedelta(minutes=1)) < timedelta(minutes=minutes)


@settings(max_examples=200, deadline=None)
@given(start=_moments, middle=st.integers(min_value=0, max_value=20 * 24 * 60),
       end=st.integers(min_value=0, max_value=20 * 24 * 60))
def test_working_time_adds_up_over_consecutive_stretches(start: datetime, middle: int, end: int) -> None:
    first, second = start + timedelta(minutes=middle), start + timedelta(minutes=middle + end)
    assert MICO.between(start, second) == MICO.between(start, first) + MICO.between(first, second)
