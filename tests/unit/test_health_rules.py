"""The alert conditions as pure rules: each finds its problem in a snapshot, says since when, and names its check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_worker.config import AlertSettings
from inbox_worker.domain.health import ComponentStatus, DiskSpace, HealthSnapshot, OutboxStats, QuarantineStats
from inbox_worker.features.health.rules import Condition, failing_checks, findings

NOW = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)
LIMITS = AlertSettings()
GB = 1024 ** 3


def minutes_ago(n: float) -> datetime:
    return NOW - timedelta(minutes=n)


def running_poll(**changes: object) -> ComponentStatus:
    """The mailbox row of a `run` that is up, beat a minute ago and polled fine two minutes ago."""
    values: dict[str, object] = {"name": "box", "started_at": minutes_ago(120), "heartbeat_at": minutes_ago(1),
                                 "last_ok_at": minutes_ago(2)}
    return ComponentStatus(**{**values, **changes})  # type: ignore[arg-type]


def snapshot(**changes: object) -> HealthSnapshot:
    values: dict[str, object] = {"now": NOW, "mailbox": "box", "poll": running_poll(),
                                 "disks": (DiskSpace("/var/lib/inbox-worker", 50 * GB, 100 * GB),)}
    return HealthSnapshot(**{**values, **changes})  # type: ignore[arg-type]


def conditions(s: HealthSnapshot) -> list[Condition]:
    return [f.condition for f in findings(s, LIMITS)]


def test_a_healthy_worker_has_no_findings_and_every_check_passes() -> None:
    assert findings(snapshot(), LIMITS) == []
    assert failing_checks([]) == []


def test_a_refused_login_is_polling_failing_since_the_first_failure_of_the_streak() -> None:
    poll = running_poll(consecutive_errors=7, failing_since=minutes_ago(7), error_kind="login_refused",
                        last_error="LoginError: [AUTHENTICATIONFAILED] Authentication failed.")
    (found,) = findings(snapshot(poll=poll), LIMITS)
    assert found.condition == Condition.POLLING_FAILING and found.check == "polling"
    assert found.since == minutes_ago(7) and found.threshold == timedelta(minutes=10)
    assert found.facts["kind"] == "login_refused" and found.facts["attempts"] == 7


def test_run_up_without_a_successful_poll_for_too_long_is_stale_but_failing_polls_are_not_stale_too() -> None:
    quiet = running_poll(last_ok_at=minutes_ago(11))
    assert conditions(snapshot(poll=quiet)) == [Condition.POLLING_STALE]
    assert conditions(snapshot(poll=running_poll(last_ok_at=minutes_ago(9)))) == []
    failing = running_poll(last_ok_at=minutes_ago(30), consecutive_errors=3, failing_since=minutes_ago(20))
    assert conditions(snapshot(poll=failing)) == [Condition.POLLING_FAILING]


def test_a_worker_that_never_ran_stopped_or_stopped_beating_is_down() -> None:
    assert conditions(snapshot(poll=None)) == [Condition.WORKER_DOWN]
    assert conditions(snapshot(poll=running_poll(heartbeat_at=minutes_ago(6)))) == [Condition.WORKER_DOWN]
    stopped = running_poll(heartbeat_at=minutes_ago(1), stopped_at=minutes_ago(1))
    (found,) = findings(snapshot(poll=stopped), LIMITS)
    assert found.check == "worker_heartbeat" and found.facts["stopped"] is True
    assert findings(snapshot(poll=running_poll(heartbeat_at=minutes_ago(4))), LIMITS) == []


def test_failing_smtp_is_reported_once_not_also_as_old_mail_in_the_outbox() -> None:
    smtp = ComponentStatus("smtp", consecutive_errors=4, failing_since=minutes_ago(40), error_kind="unreachable",
                           last_error="ConnectionRefusedError: [Errno 111] Connection refused")
    old_mail = OutboxStats({("queued", "ack"): 3}, minutes_ago(45))
    assert conditions(snapshot(smtp=smtp, outbox=old_mail)) == [Condition.SMTP_FAILING]
    assert conditions(snapshot(outbox=old_mail)) == [Condition.OUTBOX_STALE]
    assert conditions(snapshot(outbox=OutboxStats({("queued", "ack"): 3}, minutes_ago(29)))) == []


def test_failed_and_uncertain_rows_wait_for_staff() -> None:
    (found,) = findings(snapshot(outbox=OutboxStats({("failed", "ack"): 2, ("uncertain", "reply"): 1,
                                                     ("sent", "ack"): 90})), LIMITS)
    assert found.condition == Condition.OUTBOX_FAILED and found.facts == {"failed": 2, "uncertain": 1}
    assert found.since is None  # counted from when it is first seen


def test_the_quarantine_grows_by_new_arrivals_in_the_window_or_by_its_size() -> None:
    assert conditions(snapshot(quarantine=QuarantineStats(size=8, recent=4))) == []
    assert conditions(snapshot(quarantine=QuarantineStats(size=8, recent=5))) == [Condition.QUARANTINE_GROWING]
    assert conditions(snapshot(quarantine=QuarantineStats(size=25, recent=0))) == [Condition.QUARANTINE_GROWING]


def test_a_failed_summary_run_is_mailed_at_once() -> None:
    summary = ComponentStatus("summary", consecutive_errors=1, failing_since=minutes_ago(1), last_error="boom")
    (found,) = findings(snapshot(summary=summary), LIMITS)
    assert found.condition == Condition.SUMMARY_FAILING and found.threshold == timedelta(0)


def test_a_disk_is_nearly_full_below_the_megabytes_or_the_share() -> None:
    small = DiskSpace("/srv/small", 900 * 1024 ** 2, 10 * GB)  # 900 MB free: 8.8 % but under 1024 MB
    big = DiskSpace("/srv/big", 40 * GB, 1000 * GB)  # 40 GB free, but only 4 %
    for disk in (small, big):
        (found,) = findings(snapshot(disks=(disk,)), LIMITS)
        assert found.condition == Condition.DISK_LOW and found.facts["path"] == disk.path
    assert findings(snapshot(disks=(DiskSpace("/srv/ok", 2 * GB, 20 * GB),)), LIMITS) == []


def test_failing_checks_are_named_in_a_fixed_order_each_once() -> None:
    s = snapshot(poll=None, outbox=OutboxStats({("failed", "ack"): 1}, minutes_ago(60)),
                 quarantine=QuarantineStats(30, 0))
    assert failing_checks(findings(s, LIMITS)) == ["worker_heartbeat", "outbox", "quarantine"]
