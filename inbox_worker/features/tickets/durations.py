"""Time and work dates as staff type them, for the web forms and `tickets log-time` alike: "90", "1:30", "1t30m"."""

from __future__ import annotations

import re
from datetime import date

from inbox_worker.errors import UserError

MAX_MINUTES = 24 * 60  # one entry is at most a day's work (an entry has one work date)
# With the spaces taken out: 90, 90m, 90min, 1:30, 1t, 1t30, 1t30m, 1t30min (the way the UI prints "1 t 30 min").
_DURATION = re.compile(r"^([+-]?)(?:(\d{1,2}):([0-5]\d)|(\d{1,5})(?:m|min)?|(\d{1,2})t(?:([0-5]?\d)(?:m|min)?)?)$")
_DANISH_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")
HOW = "Skriv tiden i hele minutter (fx 45) eller som timer:minutter (fx 1:30 eller 1t30m)"


def parse_minutes(text: str, signed: bool = False) -> int:
    """Minutes from "90", "1:30" or "1t30m"; a correction (`signed`) may be negative ("-15")."""
    match = _DURATION.match(text.replace(" ", "").lower())
    if match is None or (match.group(1) and not signed):
        raise UserError(f"{HOW}, ikke {text!r}")
    sign, hours, minutes, plain, t_hours, t_minutes = match.groups()
    value = int(plain) if plain is not None else int(hours or t_hours) * 60 + int(minutes or t_minutes or 0)
    if value == 0 or value > MAX_MINUTES:
        raise UserError(f"Tiden skal være mellem 1 og {MAX_MINUTES} minutter, ikke {text!r}")
    return -value if sign == "-" else value


def parse_day(text: str) -> date | None:
    """The work date as a date field sends it (2026-05-04) or typed the Danish way (04.05.2026); empty: today."""
    if not text:
        return None
    try:
        if _DANISH_DATE.match(text):
            day, month, year = (int(part) for part in text.split("."))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"Datoen skal skrives som dd.mm.åååå (eller åååå-mm-dd), ikke {text!r}") from None
