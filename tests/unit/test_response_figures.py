"""Response-time figures: met, missed and open as of a moment, working times on the ticket's clock, nearest-rank percentiles.

Every expected figure is worked out by hand in the comments (MICO: 09-16 on weekdays, Copenhagen).
Tuesday 17 November 2026 09:00 with the normal targets (240/1260 working minutes): the first answer
is due Tuesday 13:00, the resolution three working days later, Thursday 19 November 16:00.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.response_clock import ResponseClocks
from inbox_worker.domain.response_figures import (
    Kept,
    TicketClocks,
    count,
    figures_of,
    first_response_figures,
    first_response_kept,
    first_response_minutes,
    percentile,
    resolution_kept,
    resolution_minutes,
)
from tests.clocks import EMERGENCY, MICO, NORMAL, local

START = local(2026, 11, 17, 9)


def started() -> ResponseClocks:
    return clock.start(NORMAL, START, MICO).clocks


def answered(at: datetime) -> ResponseClocks:
    change = clock.first_response(started(), at, "svar fra JH")
    assert change is not None
    return change.clocks


def test_the_due_moments_the_figures_below_are_worked_out_from() -> None:
    clocks = started()
    assert clocks.first_response_due == local(2026, 11, 17, 13)
    assert clocks.resolution_due == local(2026, 11, 19, 16)


def test_an_answer_by_the_due_moment_is_met_and_after_it_missed_in_working_minutes() -> None:
    on_time, late = answered(local(2026, 11, 17, 12, 20)), answered(local(2026, 11, 17, 14))
    as_of = local(2026, 11, 30, 12)
    assert first_response_kept(on_time, as_of) == Kept.MET
    assert first_response_minutes(on_time, MICO, as_of) == 200  # 09:00 -> 12:20
    assert first_response_kept(late, as_of) == Kept.MISSED
    assert first_response_minutes(late, MICO, as_of) == 300


def test_an_answer_after_closing_time_counts_only_the_opening_hours() -> None:
    clocks = clock.start(NORMAL, local(2026, 11, 20, 15, 50), MICO).clocks  # Friday 15:50
    change = clock.first_response(clocks, local(2026, 11, 23, 10), "svar fra JH")  # Monday 10:00
    assert change is not None
    assert first_response_minutes(change.clocks, MICO, local(2026, 11, 30, 9)) == 70  # 10 min Friday + 60 Monday


def test_no_answer_is_open_until_the_due_moment_and_missed_after_it() -> None:
    clocks = started()
    assert first_response_kept(clocks, local(2026, 11, 17, 12)) == Kept.OPEN
    assert first_response_kept(clocks, local(2026, 11, 17, 13)) == Kept.OPEN  # at the due moment: still in time
    assert first_response_kept(clocks, local(2026, 11, 17, 13, 1)) == Kept.MISSED
    assert first_response_minutes(clocks, MICO, local(2026, 11, 17, 13, 1)) is None


def test_an_answer_after_the_moment_counted_at_is_not_seen_yet() -> None:
    clocks = answered(local(2026, 11, 17, 12))
    assert first_response_kept(clocks, local(2026, 11, 17, 11)) == Kept.OPEN
    assert first_response_minutes(clocks, MICO, local(2026, 11, 17, 11)) is None


def test_a_ticket_closed_without_an_answer_counts_only_when_it_was_closed_late() -> None:
    early = clock.resolve(started(), local(2026, 11, 17, 10), MICO)
    late = clock.resolve(started(), local(2026, 11, 17, 14), MICO)
    assert early is not None and late is not None
    as_of = local(2026, 11, 30, 12)
    assert first_response_kept(early.clocks, as_of) == Kept.NOT_COUNTED  # no answer was needed
    assert first_response_kept(late.clocks, as_of) == Kept.MISSED  # the promise was broken before it was closed


def test_resolution_less_the_time_spent_waiting_for_the_customer() -> None:
    paused = clock.pause(answered(local(2026, 11, 17, 9, 30)), local(2026, 11, 17, 10))
    assert paused is not None
    resumed = clock.resume(paused.clocks, local(2026, 11, 19, 10), MICO)
    assert resumed is not None
    # Waited Tue 10-16 (360) + Wed (420) + Thu 9-10 (60) = 840: due 1260 + 840 = 2100 = five days, Mon 23 Nov 16:00.
    assert resumed.clocks.paused_minutes == 840 and resumed.clocks.resolution_due == local(2026, 11, 23, 16)
    resolved = clock.resolve(resumed.clocks, local(2026, 11, 20, 12), MICO)
    assert resolved is not None
    as_of = local(2026, 11, 30, 12)
    assert resolution_kept(resolved.clocks, as_of) == Kept.MET
    # Tue 09:00 -> Fri 12:00 is 3 x 420 + 180 = 1440 working minutes, less 840 waiting = 600 (10 hours).
    assert resolution_minutes(resolved.clocks, MICO, as_of) == 600


def test_waiting_keeps_the_resolution_open_unless_it_was_late_already() -> None:
    before_due = clock.pause(answered(local(2026, 11, 17, 9, 30)), local(2026, 11, 18, 10))
    after_due = clock.pause(answered(local(2026, 11, 17, 9, 30)), local(2026, 11, 20, 10))
    assert before_due is not None and after_due is not None
    monday = local(2026, 11, 23, 12)
    assert resolution_kept(before_due.clocks, monday) == Kept.OPEN
    assert resolution_kept(after_due.clocks, monday) == Kept.MISSED
    assert resolution_kept(answered(local(2026, 11, 17, 9, 30)), monday) == Kept.MISSED  # open and past due


def test_an_emergency_counts_every_minute() -> None:
    clocks = clock.start(EMERGENCY, local(2026, 11, 21, 3), MICO).clocks  # Saturday 03:00
    change = clock.first_response(clocks, local(2026, 11, 21, 3, 20), "telefonopkald")
    assert change is not None
    resolved = clock.resolve(change.clocks, local(2026, 11, 21, 8), MICO)
    assert resolved is not None
    as_of = local(2026, 11, 30, 12)
    assert first_response_minutes(resolved.clocks, MICO, as_of) == 20
    assert first_response_kept(resolved.clocks, as_of) == Kept.MET
    assert resolution_minutes(resolved.clocks, MICO, as_of) == 300  # 5 hours on a 4-hour promise
    assert resolution_kept(resolved.clocks, as_of) == Kept.MISSED


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([15, 20, 35, 40, 50], 5, 15),  # rank ceil(0.25) = 1
    ([15, 20, 35, 40, 50], 30, 20),  # rank ceil(1.5) = 2
    ([15, 20, 35, 40, 50], 40, 20),  # rank ceil(2.0) = 2
    ([15, 20, 35, 40, 50], 50, 35),  # rank ceil(2.5) = 3
    ([15, 20, 35, 40, 50], 100, 50),
    ([40, 10, 30, 20], 50, 20),  # even count: the lower middle value (rank 2 of 4), whatever the input order
    (list(range(1, 11)), 90, 9),  # rank ceil(9.0) = 9
    (list(range(1, 12)), 90, 10),  # rank ceil(9.9) = 10
    ([7], 90, 7),
])
def test_nearest_rank_percentiles(values: list[int], p: float, expected: int) -> None:
    assert percentile(values, p) == expected


def test_no_values_have_no_percentile_and_a_percentile_is_above_zero() -> None:
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="above 0"):
        percentile([1, 2], 0)


def test_figures_over_tickets_count_met_missed_open_and_take_the_median_and_90th() -> None:
    answers = [(12, 20), (14, 0), (9, 45), (11, 0), (10, 0)]  # 200, 300, 45, 120, 60 working minutes
    tickets = [TicketClocks(n, "bageriet", "Bageriet", "normal", answered(local(2026, 11, 17, h, m)))
               for n, (h, m) in enumerate(answers, 1)]
    tickets.append(TicketClocks(6, "bageriet", "Bageriet", "normal", clock.start(
        NORMAL, local(2026, 11, 30, 9), MICO).clocks))  # not due yet at the moment counted
    figures = first_response_figures(tickets, local(2026, 11, 30, 10), MICO)
    assert (figures.met, figures.missed, figures.open) == (4, 1, 1)
    assert figures.met_percent == 80.0
    assert figures.median_minutes == 120  # sorted 45 60 120 200 300: rank ceil(2.5) = 3
    assert figures.p90_minutes == 300  # rank ceil(4.5) = 5
    first, resolution = figures_of([count(t.clocks, local(2026, 11, 30, 10), MICO) for t in tickets])
    assert first == figures  # the same counting, ticket by ticket
    assert (resolution.met, resolution.missed, resolution.open, resolution.median_minutes) == (0, 5, 1, None)
    assert resolution.met_percent == 0.0


def test_no_decided_promise_has_no_percentage() -> None:
    fresh = TicketClocks(1, None, "", "normal", started())
    figures = first_response_figures([fresh], local(2026, 11, 17, 10), MICO)
    assert (figures.open, figures.met_percent, figures.median_minutes) == (1, None, None)
