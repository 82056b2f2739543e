"""The weekly summary's response-time line in Danish and English: honest counts, the median, and no line for no request."""

from __future__ import annotations

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_figures import TargetFigures
from inbox_worker.features.summary.response_line import ResponseWeek, response_line

OPENING = frozenset({ClockMode.OPENING_HOURS})
BOTH = frozenset(ClockMode)


def week(met: int, missed: int, open_: int, median: int | None, modes: frozenset[ClockMode] = OPENING) -> ResponseWeek:
    return ResponseWeek(TargetFigures(met, missed, open_, median, median), modes)


def test_answered_within_the_promise_and_the_median_in_opening_hours() -> None:
    assert response_line(week(7, 1, 0, 80), 47, "da") == (
        "I uge 47 besvarede vi 7 af 8 henvendelser inden for den lovede tid; mediantiden til første svar var "
        "1 t 20 min (i åbningstiden).")
    assert response_line(week(7, 1, 0, 80), 47, "en") == (
        "In week 47 we answered 7 of 8 requests within the promised time; the median time to our first reply was "
        "1 h 20 min (in opening hours).")


def test_one_request_an_emergency_among_them_and_some_still_within_the_promise() -> None:
    assert response_line(week(1, 0, 2, 45, BOTH), 3, "da") == (
        "I uge 3 besvarede vi 1 af 1 henvendelse inden for den lovede tid; mediantiden til første svar var 45 min "
        "(i åbningstiden; akutte sager døgnet rundt). 2 henvendelser fra ugen er stadig inden for fristen.")
    assert response_line(week(1, 0, 1, 120, BOTH), 3, "en") == (
        "In week 3 we answered 1 of 1 request within the promised time; the median time to our first reply was 2 h "
        "(in opening hours; emergencies around the clock). 1 request from the week is still within the promised time.")


def test_none_answered_in_time_and_none_answered_at_all_says_so_without_a_median() -> None:
    assert response_line(week(0, 2, 0, None), 47, "da") == (
        "I uge 47 besvarede vi 0 af 2 henvendelser inden for den lovede tid.")


def test_only_requests_still_within_the_promise() -> None:
    assert response_line(week(0, 0, 1, None), 47, "da") == "Ugens 1 henvendelse er stadig inden for den lovede svartid."
    assert response_line(week(0, 0, 2, None), 47, "en") == (
        "The week's 2 requests are still within the promised response time.")


def test_no_request_with_a_clock_no_line() -> None:
    assert response_line(week(0, 0, 0, None), 47, "da") == ""
    assert response_line(None, 47, "da") == ""
