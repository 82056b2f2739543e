"""What `outbox flush` tells staff afterwards: one line per mail still waiting and why, then the counts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.domain.labels import count, label
from inbox_worker.features.outbox.desk import DeskRow, desk_rows
from inbox_worker.features.outbox.flush import FlushSummary
from inbox_worker.features.outbox.reasons import why

S = OutboxStatus
STATE = {S.QUEUED: "venter", S.FAILED: "er opgivet (outbox retry sender den igen)",
         S.UNCERTAIN: "er usikker (serveren kan have den; outbox retry eller cancel)"}


def _line(row: DeskRow, zone: ZoneInfo, smtp_host: str) -> str:
    state = STATE.get(S(row.status), label(row.status, "outbox").lower())
    if row.next_attempt is not None:
        state += f" til {row.next_attempt.astimezone(zone):%d.%m %H:%M}"
    tried = f" efter {count(row.attempts, 'forsøg', 'forsøg')}" if row.attempts else ""
    reason = why(row.last_error, smtp_host) or "ikke forsøgt endnu"
    return f"udbakke {row.id}: {label(row.kind, 'kind').lower()} til {row.recipient} {state}{tried}: {reason}"


def flush_report(session: Session, summary: FlushSummary, timezone: str, smtp_host: str) -> list[str]:
    """Every row this flush tried and could not send, and every row queued for later, then one line of counts."""
    rows = sorted(desk_rows(session, (S.QUEUED, S.FAILED, S.UNCERTAIN)), key=lambda row: row.id)
    tried = set(summary.unsent)
    waiting = [row for row in rows if row.id in tried or row.status == S.QUEUED]
    earlier = len(rows) - len(waiting)
    zone = ZoneInfo(timezone)
    queued = sum(row.status == S.QUEUED for row in waiting)
    parts = [f"{summary.sent} sendt", f"{queued} venter", f"{summary.failed} opgivet"]
    if summary.uncertain:
        parts.append(count(summary.uncertain, "usikker", "usikre") + " (sendes ikke igen af sig selv)")
    if summary.interrupted:
        parts.append(f"{summary.interrupted} afbrudt tidligere (holdes som usikre)")
    if earlier:
        parts.append(count(earlier, "opgivet eller usikker", "opgivne eller usikre") + " fra før (se outbox list)")
    return [*(_line(row, zone, smtp_host) for row in waiting), "Udbakken: " + ", ".join(parts)]
