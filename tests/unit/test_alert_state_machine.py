"""The alert state machine on a controlled clock: one alert per episode that lasts, one recovery, never a storm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from inbox_worker.domain.health import AlertState
from inbox_worker.features.health.alerting import Plan, step
from inbox_worker.features.health.rules import Condition, Finding

START = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
TEN = timedelta(minutes=10)


def failing(since: datetime | None = START, threshold: timedelta = TEN) -> Finding:
    return Finding(Condition.POLLING_FAILING, since, threshold, {"kind": "login_refused"})


class Evaluator:
    """Runs `step` once a minute and keeps the open states between runs, as the database does."""

    def __init__(self) -> None:
        self.states: dict[str, AlertState] = {}
        self.plans: list[Plan] = []

    def run(self, minute: int, found: list[Finding]) -> Plan:
        plan = step(self.states, found, START + timedelta(minutes=minute))
        self.states = {state.condition: state for state in plan.states}
        self.plans.append(plan)
        return plan

    @property
    def alerts(self) -> int:
        return sum(len(plan.alerts) for plan in self.plans)

    @property
    def recoveries(self) -> int:
        return sum(len(plan.recoveries) for plan in self.plans)


def test_thirty_minutes_of_a_refused_login_give_one_alert_at_ten_minutes_then_one_recovery() -> None:
    evaluator = Evaluator()
    for minute in range(31):
        plan = evaluator.run(minute, [failing()])
        assert len(plan.alerts) == (1 if minute == 10 else 0), minute
    fixed = evaluator.run(31, [])
    again = evaluator.run(32, [])

    assert evaluator.alerts == 1 and evaluator.recoveries == 1
    (recovered,) = fixed.recoveries
    assert recovered.since == START and recovered.alerted_at == START + TEN
    assert again == Plan() and evaluator.states == {}


def test_a_restart_that_reads_the_saved_state_sends_nothing_again() -> None:
    first = Evaluator()
    for minute in range(12):
        first.run(minute, [failing()])
    restarted = Evaluator()
    restarted.states = dict(first.states)  # what the database holds
    for minute in range(12, 40):
        restarted.run(minute, [failing()])
    assert first.alerts == 1 and restarted.alerts == 0


def test_a_problem_gone_before_its_threshold_is_closed_without_a_mail() -> None:
    evaluator = Evaluator()
    for minute in range(9):
        evaluator.run(minute, [failing()])
    plan = evaluator.run(9, [])
    assert plan.dropped == ("polling-failing",) and plan.mails == 0 and evaluator.alerts == 0


def test_a_new_failure_streak_while_pending_counts_its_threshold_from_the_new_start() -> None:
    evaluator = Evaluator()
    for minute in range(8):
        evaluator.run(minute, [failing(since=START)])
    later = START + timedelta(minutes=8)  # a poll worked in between two evaluations; it fails again since then
    for minute in range(8, 18):
        evaluator.run(minute, [failing(since=later)])
    assert evaluator.alerts == 0
    assert len(evaluator.run(18, [failing(since=later)]).alerts) == 1


def test_without_a_since_in_the_data_the_threshold_counts_from_when_it_was_first_seen() -> None:
    evaluator = Evaluator()
    disk = Finding(Condition.DISK_LOW, None, TEN, {"path": "/var"})
    alerted_at = [minute for minute in range(5, 30) if evaluator.run(minute, [disk]).alerts]
    assert alerted_at == [15]


def test_a_condition_with_no_threshold_is_mailed_when_first_seen_and_each_condition_on_its_own() -> None:
    evaluator = Evaluator()
    summary = Finding(Condition.SUMMARY_FAILING, START, timedelta(0), {})
    plan = evaluator.run(0, [summary, failing()])
    assert [state.condition for state, _ in plan.alerts] == ["summary-failing"]
    plan = evaluator.run(10, [failing()])
    assert [state.condition for state, _ in plan.alerts] == ["polling-failing"]
    assert [state.condition for state in plan.recoveries] == ["summary-failing"]


@given(st.lists(st.booleans(), max_size=120), st.integers(min_value=0, max_value=15))
def test_any_history_mails_once_per_episode_that_lasted_and_recovers_each_alerted_one(
        present: list[bool], threshold: int) -> None:
    evaluator = Evaluator()
    episodes, run_length = [], 0
    for minute, now_present in enumerate([*present, False]):
        run_length = run_length + 1 if now_present else 0
        if run_length == 1:
            episodes.append(minute)
        since = START + timedelta(minutes=episodes[-1]) if now_present else None
        evaluator.run(minute, [failing(since, timedelta(minutes=threshold))] if now_present else [])
    lasting = 0
    for start in episodes:
        length = next((i for i, p in enumerate([*present, False][start:]) if not p), 0)
        lasting += length > threshold
    assert evaluator.alerts == lasting and evaluator.recoveries == lasting
