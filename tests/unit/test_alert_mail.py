"""The staff alert mails: every condition renders in Danish, in both parts, and the HTML part escapes what it quotes."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from inbox_worker.config import Settings
from inbox_worker.domain.health import AlertState, ComponentStatus, DiskSpace, OutboxStats, QuarantineStats
from inbox_worker.features.health import mail
from inbox_worker.features.health.rules import Condition, findings
from inbox_worker.outbound.render import Renderer
from tests.unit.test_health_rules import GB, LIMITS, NOW, minutes_ago, running_poll, snapshot

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
SNAPSHOTS = {
    Condition.POLLING_FAILING: snapshot(poll=running_poll(consecutive_errors=3, failing_since=minutes_ago(12),
                                                          error_kind="unreachable", last_error=HOSTILE)),
    Condition.POLLING_STALE: snapshot(poll=running_poll(last_ok_at=minutes_ago(14))),
    Condition.WORKER_DOWN: snapshot(poll=running_poll(heartbeat_at=minutes_ago(30))),
    Condition.SMTP_FAILING: snapshot(smtp=ComponentStatus("smtp", consecutive_errors=5, failing_since=minutes_ago(11),
                                                          error_kind="login_refused", last_error=HOSTILE)),
    Condition.OUTBOX_FAILED: snapshot(outbox=OutboxStats({("failed", "ack"): 1, ("uncertain", "ack"): 2})),
    Condition.OUTBOX_STALE: snapshot(outbox=OutboxStats({("queued", "ack"): 4}, minutes_ago(31))),
    Condition.QUARANTINE_GROWING: snapshot(quarantine=QuarantineStats(size=9, recent=6)),
    Condition.SUMMARY_FAILING: snapshot(summary=ComponentStatus("summary", consecutive_errors=1,
                                                                failing_since=minutes_ago(0), last_error=HOSTILE)),
    Condition.DISK_LOW: snapshot(disks=(DiskSpace(f"/var/lib/{HOSTILE}", GB // 2, 100 * GB),)),
}
TITLES = {
    Condition.POLLING_FAILING: "IMAP-serveren svarer ikke", Condition.POLLING_STALE: "Ingen post hentet",
    Condition.WORKER_DOWN: "inbox-worker kører ikke", Condition.SMTP_FAILING: "SMTP-login afvist",
    Condition.OUTBOX_FAILED: "Udgående mail blev ikke sendt", Condition.OUTBOX_STALE: "Udgående post venter for længe",
    Condition.QUARANTINE_GROWING: "Karantænen vokser", Condition.SUMMARY_FAILING: "Ugeoversigten fejlede",
    Condition.DISK_LOW: "Disken er næsten fuld",
}


def test_every_condition_has_a_rule_snapshot_and_a_title() -> None:
    assert set(SNAPSHOTS) == set(Condition) == set(TITLES)


@pytest.mark.parametrize("condition", list(Condition))
def test_each_alert_and_its_recovery_render_in_danish_with_html_escaped(condition: Condition) -> None:
    settings = Settings()
    (found,) = [f for f in findings(SNAPSHOTS[condition], LIMITS) if f.condition == condition]
    state = AlertState(condition.value, NOW, found.since or NOW, NOW, facts=found.facts)
    renderer = Renderer(settings)
    alert = message_from_bytes(mail.compose(renderer, settings, state, NOW, recovered=False).body,
                               policy=policy.default)
    later = state.since + timedelta(minutes=95)
    recovery = message_from_bytes(mail.compose(renderer, settings, state, later, recovered=True).body,
                                  policy=policy.default)

    assert alert["Subject"].startswith(f"[inbox-worker] Advarsel: {TITLES[condition]} siden ")
    assert recovery["Subject"] == f"[inbox-worker] Løst: {TITLES[condition]}"
    assert alert["To"] == recovery["To"] == "support-team@mico.dk" and alert["X-MICO-Alert"] == condition.value
    text, html = alert.get_body(("plain",)).get_content(), alert.get_body(("html",)).get_content()
    assert "Hvad gør man:" in text and "Hvad gør man:" in html
    if HOSTILE in text:  # the server's answer or a path quoted as is in the text part ...
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html and "&lt;img" in html  # ... and escaped in the HTML part
    assert "varede 1 t 35 min" in recovery.get_body(("plain",)).get_content()


def test_the_subject_gives_the_day_when_the_problem_began_on_another_day() -> None:
    assert mail.short_time(NOW - timedelta(days=1), NOW, "Europe/Copenhagen") == "6. december 2026 14:30"
    assert mail.short_time(NOW, NOW, "Europe/Copenhagen") == "14:30"
