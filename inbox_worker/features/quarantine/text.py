"""Quarantined mail as staff read it in a terminal, in Danish: the list, and one mail with its history."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain.labels import count, label
from inbox_worker.domain.text_table import EMPTY, cell, table
from inbox_worker.features.quarantine.desk import header_block
from inbox_worker.store.models import RawMessage
from inbox_worker.store.quarantine import DecisionRecord, QuarantinedMail

COLUMNS = (("id", 6), ("modtaget", 16), ("regel", 22), ("afsender", 40), ("emne", 60))


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M") if moment else EMPTY


def listing(mails: list[QuarantinedMail], timezone: str, reason: str | None = None) -> str:
    """The quarantine, oldest first, and how many; "" for a table when nothing is there."""
    zone = ZoneInfo(timezone)
    lines = table(COLUMNS, [[mail.id, _local(mail.received_at, zone), mail.rule, mail.sender,
                             mail.subject or "(intet emne)"] for mail in mails]) if mails else []
    total = count(len(mails), "mail", "mails") + " i karantæne"
    return "\n".join([*lines, total + (f" med årsagen {reason!r}" if reason else "")])


def detail(raw: RawMessage, found: QuarantinedMail | None, data: bytes, decisions: list[DecisionRecord],
           timezone: str) -> str:
    """One stored mail: its state, why it is in quarantine, where it came from, its decisions and its headers."""
    zone = ZoneInfo(timezone)
    outcome = f" ({label(raw.outcome, 'outcome').lower()})" if raw.outcome else ""
    state = "i karantæne" if found else label(raw.state, "raw") + outcome
    lines = [f"Mail {raw.id}: {state}"]
    if found:
        lines.append(f"Årsag: {found.rule}: {cell(found.reason)}")
    lines += [f"Modtaget: {_local(raw.received_at, zone)}  ankommet: {_local(raw.arrived_at, zone)}  "
              f"størrelse: {raw.size} bytes", f"Kilde: {cell(raw.source)}", f"Message-ID: {cell(raw.message_id)}"]
    if raw.superseded_by_id:
        lines.append(f"Erstattet af mail {raw.superseded_by_id}")
    lines.append("Historik:")
    for entry in decisions:
        what = f"#{entry.ticket}" if entry.ticket else (entry.rule or "")
        lines.append(f"  {_local(entry.at, zone)}  {label(entry.outcome, 'outcome')}  {what}  "
                     f"{cell(entry.reason) if entry.reason else ''}".rstrip())
    return "\n".join([*lines, "Headers:", header_block(data)])
