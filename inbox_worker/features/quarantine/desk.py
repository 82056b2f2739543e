"""Take quarantined mail back once its cause is fixed: its stored bytes through today's rules and code.

Like Mailman's unshunt or Postfix's `postsuper -r`: nothing has to be fetched again. The mail keeps
its raw row and its quarantine decision stays in the history; the new decision is added after it.
Processing again is exactly-once: the write transaction takes the mail only while it is still in
quarantine, so two staff members pressing the button at once make one ticket and one ack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inbox_worker.domain.decision import Decision
from inbox_worker.domain.enums import Outcome, RawState
from inbox_worker.errors import UserError
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.runner import Runner
from inbox_worker.store import audit
from inbox_worker.store import quarantine as queries
from inbox_worker.store.raw import StoredRaw, earlier_copies

# Mail quarantined for its size is stored with its headers only: processing those again would make a
# ticket without the text. It is taken in whole by raising the limit and fetching it again (the
# complete copy then supersedes this one).
HEADERS_ONLY_RULES = frozenset({"too-large"})


@dataclass(frozen=True)
class Reprocessed:
    raw_id: int
    decision: Decision | None  # None: not taken back, see `refused`
    refused: str | None = None


def _refusal(session: Session, raw_id: int) -> str | None:
    raw = queries.raw_message(session, raw_id)
    if raw is None:
        return f"ingen gemt mail med id {raw_id}"
    if raw.state == RawState.SUPERSEDED:
        return f"mail {raw_id} er erstattet af en senere kopi (mail {raw.superseded_by_id})"
    if raw.state != RawState.PROCESSED or raw.outcome != Outcome.QUARANTINED:
        return f"mail {raw_id} er ikke i karantæne (udfald: {raw.outcome or raw.state})"
    found = queries.quarantined(session, ids=[raw_id])
    if found and found[0].rule in HEADERS_ONLY_RULES:
        return (f"mail {raw_id} er kun gemt med headers (for stor); hæv max_message_mb, så hentes den "
                "hel ved næste poll og erstatter denne")
    return None


def reprocess(runner: Runner, raw_ids: list[int], actor: str, now: datetime | None = None) -> list[Reprocessed]:
    """Process the quarantined mails `raw_ids` again, in order; each result says what became of it."""
    now = now or datetime.now(UTC)
    results: list[Reprocessed] = []
    batch: list[IncomingMail] = []
    stored: list[StoredRaw] = []
    with runner.sessions() as session:
        for raw_id in dict.fromkeys(raw_ids):
            refused = _refusal(session, raw_id)
            if refused:
                results.append(Reprocessed(raw_id, None, refused))
                continue
            raw = queries.raw_message(session, raw_id)
            assert raw is not None
            data = queries.raw_bytes(session, raw)
            batch.append(IncomingMail(data, raw.source, None, None, raw.arrived_at or raw.received_at))
            stored.append(StoredRaw(raw_id, False, None, copies=earlier_copies(session, raw_id, raw.dedupe_key, data),
                                    again=True))
    for mail, record, decision in zip(batch, stored, runner.apply_batch(batch, stored, [None] * len(batch), now),
                                      strict=True):
        results.append(Reprocessed(record.id, decision))
        with runner.sessions.begin() as session:
            audit.record(session, actor, "quarantine-reprocess", now, ticket=decision.ticket,
                         raw=record.id, outcome=str(decision.outcome), source=mail.source[:200])
    order = {raw_id: index for index, raw_id in enumerate(dict.fromkeys(raw_ids))}
    return sorted(results, key=lambda r: order[r.raw_id])


def reprocess_all(runner: Runner, reason: str | None, actor: str, now: datetime | None = None) -> list[Reprocessed]:
    """Everything in quarantine (or only what `reason` names) that can be taken back."""
    with runner.sessions() as session:
        ids = [m.id for m in queries.quarantined(session, reason) if m.rule not in HEADERS_ONLY_RULES]
    if not ids:
        raise UserError(f"intet i karantæne{f' med årsagen {reason!r}' if reason else ''} at behandle igen")
    return reprocess(runner, ids, actor, now)


HEADER_SHOWN = 8192


def header_block(raw: bytes) -> str:
    """The mail's header block as text for a terminal or page: at most 8 KiB, control characters shown as
    '?' (hostile mail must not move a terminal's cursor or change its title)."""
    end = min((i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0), default=len(raw))
    text = raw[:min(end, HEADER_SHOWN)].decode("utf-8", errors="replace").replace("\r\n", "\n")
    cleaned = "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)
    return cleaned + ("\n[…]" if end > HEADER_SHOWN else "")
