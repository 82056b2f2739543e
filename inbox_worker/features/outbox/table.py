"""The outbox rows of `outbox list` as a readable fixed-width table, one line per row, in Danish."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain.labels import count, label
from inbox_worker.domain.text_table import EMPTY, table
from inbox_worker.features.outbox.desk import DeskRow
from inbox_worker.features.outbox.reasons import why

# The last error comes last, so that its Danish reason and the server's own words fit without a cut.
COLUMNS = (("id", 6), ("type", 11), ("modtager", 30), ("emne", 36), ("status", 10), ("forsøg", 6),
           ("oprettet", 11), ("sidst forsøgt", 13), ("næste forsøg", 12), ("sendt", 11), ("sidste fejl", 240))


def _cells(row: DeskRow, zone: ZoneInfo, smtp_host: str) -> list[str]:
    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%d.%m %H:%M") if moment else EMPTY

    error = why(row.last_error, smtp_host) if row.last_error else ""
    if row.cancelled_by:
        error = f"annulleret af {row.cancelled_by} {when(row.cancelled_at)}" + (f"; {error}" if error else "")
    return [str(row.id), label(row.kind, "kind"), row.recipient, row.subject, label(row.status, "outbox"),
            str(row.attempts), when(row.created), when(row.last_attempt), when(row.next_attempt), when(row.sent),
            error]


def outbox_table(rows: list[DeskRow], timezone: str, smtp_host: str = "") -> str:
    zone = ZoneInfo(timezone)
    lines = table(COLUMNS, [_cells(row, zone, smtp_host) for row in rows])
    return "\n".join([*lines, count(len(rows), "mail", "mails") + " i udbakken"])
