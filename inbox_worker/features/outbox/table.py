"""The outbox rows of `outbox list` as a readable fixed-width table, one line per row, Danish headers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.features.outbox.desk import DeskRow

COLUMNS = (("id", 6), ("type", 7), ("modtager", 30), ("emne", 36), ("status", 9), ("forsøg", 6),
           ("sidste fejl", 44), ("oprettet", 11), ("sidst forsøgt", 13), ("næste forsøg", 12), ("sendt", 11))


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())  # an SMTP reply or a subject may hold line breaks: keep one line per row
    return text if len(text) <= width else text[: width - 1] + "…"


def _cells(row: DeskRow, zone: ZoneInfo) -> list[str]:
    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%d.%m %H:%M") if moment else "–"

    error = row.last_error or ""
    if row.cancelled_by:
        error = f"annulleret af {row.cancelled_by} {when(row.cancelled_at)}" + (f"; {error}" if error else "")
    return [str(row.id), row.kind, row.recipient, row.subject or "–", row.status, str(row.attempts),
            error or "–", when(row.created), when(row.last_attempt),
            when(row.next_attempt), when(row.sent)]


def outbox_table(rows: list[DeskRow], timezone: str) -> str:
    zone = ZoneInfo(timezone)
    lines = ["  ".join(title.ljust(width) for title, width in COLUMNS).rstrip(),
             "  ".join("-" * width for _, width in COLUMNS)]
    for row in rows:
        lines.append("  ".join(_fit(cell, width).ljust(width)
                               for cell, (_, width) in zip(_cells(row, zone), COLUMNS, strict=True)).rstrip())
    lines.append(f"{len(rows)} mails i udbakken")
    return "\n".join(lines)
