"""A response-time target as staff type it: "90" (minutes), "1:30" (hours:minutes), "4t" or "1t30" (timer). Pure."""

from __future__ import annotations

import re

from inbox_worker.errors import UserError

_CLOCK = re.compile(r"^(\d{1,4}):([0-5]\d)$")  # 1:30
_HOURS = re.compile(r"^(\d{1,4})t(?:(\d{1,2})(?:m|min)?)?$")  # 4t, 1t30, 1t30m
_MINUTES = re.compile(r"^(\d{1,6})(?:m|min)?$")  # 90, 90m, 90min
MAX_MINUTES = 100_000  # about a year of working days: anything longer is a typing mistake


def parse_working_minutes(text: str, what: str = "tiden") -> int:
    """Working minutes above zero; a form it does not know raises UserError in Danish, naming `what`."""
    compact = text.strip().lower().replace(" ", "")
    hours, minutes = 0, -1
    if match := _CLOCK.match(compact):
        hours, minutes = int(match.group(1)), int(match.group(2))
    elif match := _HOURS.match(compact):
        hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    elif match := _MINUTES.match(compact):
        minutes = int(match.group(1))
    total = hours * 60 + minutes
    if minutes < 0 or (minutes >= 60 and hours):
        raise UserError(f"{what}: skriv arbejdsminutter (fx 90), timer:minutter (fx 1:30) eller timer (fx 4t), "
                        f"ikke {text.strip()!r}")
    if not 0 < total <= MAX_MINUTES:
        raise UserError(f"{what}: skal være mellem 1 og {MAX_MINUTES} arbejdsminutter, ikke {text.strip()!r}")
    return total
