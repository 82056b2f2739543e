"""`inbox-worker health check`: the /healthz checks as lines a person reads (Danish) or as JSON (English keys)."""

from __future__ import annotations

from typing import Any

from inbox_worker.features.health.mail import short_time, words
from inbox_worker.features.health.rules import CHECKS
from inbox_worker.features.health.snapshot import HealthReport
from inbox_worker.outbound.render import Renderer


def report_json(report: HealthReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "failing": list(report.failing),
        "checks": {check: "failing" if check in report.failing else "ok" for check in CHECKS},
        "conditions": [{"condition": f.condition.value, "check": f.check,
                        "since": f.since.isoformat() if f.since else None, "facts": f.facts} for f in report.found],
    }


def report_lines(report: HealthReport, renderer: Renderer, zone: str) -> list[str]:
    """One line per check (✓/✗), each failing one followed by what was found, in the alert mails' words."""
    lines = []
    for check in CHECKS:
        if check not in report.failing:
            lines.append(f"✓ {check}")
            continue
        lines.append(f"✗ {check}")
        if check == "database":
            lines.append("    databasen kan ikke læses (se loggen); kør inbox-worker doctor")
        for found in (f for f in report.found if f.check == check):
            since = f" siden {short_time(found.since, report.snapshot.now, zone)}" \
                if found.since and report.snapshot else ""
            title = words(renderer, found.condition.value, found.facts, {"since_text": since})["title"]
            lines.append(f"    {title}{since} ({found.condition.value})")
    lines.append("Alt er i orden." if report.ok else f"{len(report.failing)} tjek fejler.")
    return lines
