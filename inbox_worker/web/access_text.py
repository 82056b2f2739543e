"""The access log as Danish lines on the ticket page: one line per staff member, day and thing seen.

"JH så sagen 3 gange, 2. dec. 14:02–14:40": a ticket opened again after every action does not flood its
audit section, and each download and export keeps its own line. Pure: entries, time zone and today in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from inbox_worker.store.access_log import CUSTOMER, MAIL_HTML, PERSON, AccessAction, Seen

MONTHS = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")


def access_lines(entries: Sequence[Seen], zone: ZoneInfo, today: date) -> list[str]:
    """One line per (Copenhagen day, staff member, what was seen), in the order of each line's first entry."""
    groups: dict[tuple[date, str, AccessAction, int | None, str], list[Seen]] = {}
    for entry in sorted(entries, key=lambda e: e.at):
        key = (entry.at.astimezone(zone).date(), entry.actor, entry.action, entry.attachment, entry.what)
        groups.setdefault(key, []).append(entry)
    return [_line(group, zone, today) for group in groups.values()]


def _line(group: list[Seen], zone: ZoneInfo, today: date) -> str:
    first = group[0]
    when = _when(group[0].at.astimezone(zone), group[-1].at.astimezone(zone), today)
    said = f"{first.actor} {_thing(first)}"
    return f"{said} {len(group)} gange, {when}" if len(group) > 1 else f"{said} {when}"


def _thing(entry: Seen) -> str:
    if entry.action is AccessAction.VIEW:
        return "så en mails HTML-version på sagen" if entry.what == MAIL_HTML else "så sagen"
    if entry.action is AccessAction.DOWNLOAD:
        if entry.filename:
            return f"hentede vedhæftningen »{entry.filename}«"
        return "hentede en vedhæftning, der siden er slettet" if entry.attachment is None else "hentede en vedhæftning"
    if entry.what.startswith(CUSTOMER):
        return f"udleverede persondata om kunden {entry.what.removeprefix(CUSTOMER)}"
    if entry.what.startswith(PERSON):
        return f"udleverede persondata om person #{entry.what.removeprefix(PERSON)}"
    return "udleverede persondata" + (f" ({entry.what})" if entry.what else "")


def _when(first: datetime, last: datetime, today: date) -> str:
    day = f"{first.day}. {MONTHS[first.month - 1]}" + ("" if first.year == today.year else f" {first.year}")
    start, end = first.strftime("%H:%M"), last.strftime("%H:%M")
    return f"{day} {start}" if start == end else f"{day} {start}–{end}"
