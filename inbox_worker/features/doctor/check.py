"""One check's result (passed, failed with what to do, or skipped because an earlier one failed) and its line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# The checks in the order they run, each with its Danish label: the stable ids are what `--json` prints.
LABELS = {
    "config": "Konfiguration",
    "database": "Database",
    "rules": "Regler",
    "templates": "Skabeloner",
    "imap.connect": "IMAP-forbindelse",
    "imap.login": "IMAP-login",
    "imap.capabilities": "IMAP-funktioner",
    "imap.folder": "IMAP-mappe",
    "imap.processed_folder": "IMAP-mappe til behandlet post",
    "smtp.connect": "SMTP-forbindelse",
    "smtp.starttls": "SMTP-kryptering",
    "smtp.login": "SMTP-login",
    "web.secret_key": "Web-nøgle",
    "storage": "Vedhæftninger",
    "clock": "Ur og tidszone",
}


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # could not run because a check it needs failed


MARKS = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "–"}


@dataclass(frozen=True)
class Check:
    name: str  # a key of LABELS
    status: Status
    detail: str  # what was found (Danish, never a secret)
    advice: str = ""  # what to do about a failure

    @property
    def ok(self) -> bool:
        return self.status is Status.PASSED

    def line(self) -> str:
        """'✓ Database: svarer …', '✗ IMAP-login: … — ret …', '– IMAP-mappe: sprunget over: …'."""
        text = f"{MARKS[self.status]} {LABELS[self.name]}: {self.detail}"
        return f"{text} — {self.advice}" if self.advice else text

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "status": str(self.status), "detail": self.detail,
                "advice": self.advice or None}


def passed(name: str, detail: str) -> Check:
    return Check(name, Status.PASSED, detail)


def failed(name: str, detail: str, advice: str) -> Check:
    return Check(name, Status.FAILED, detail, advice)


def skipped(names: list[str], why: str) -> list[Check]:
    return [Check(name, Status.SKIPPED, f"sprunget over: {why}") for name in names]


def json_line(check: Check) -> str:
    return json.dumps(check.as_json(), ensure_ascii=False)


def summary_line(checks: list[Check]) -> str:
    """The closing line: all passed, or how many failed and were skipped."""
    bad = sum(check.status is Status.FAILED for check in checks)
    left = sum(check.status is Status.SKIPPED for check in checks)
    if not bad and not left:
        return f"Alt i orden: {len(checks)} tjek bestået."
    return (f"{bad} af {len(checks)} tjek fejlede" + (f", {left} sprunget over" if left else "")
            + ": ret det, der står efter ✗, og kør inbox-worker doctor igen.")
