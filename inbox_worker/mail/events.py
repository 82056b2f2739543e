"""The one log event per processed mail, after its transaction committed: where from, which mail, what became of it.

Logged for every path that processes mail (IMAP, `ingest`, reprocessing from the quarantine desk), at
INFO, as one line: `message uid=17 message_id=<…> outcome=new_ticket ticket=1042 ms=3.2` (a file:
`message file=inbox/07.eml …`). The same values go in the record's `extra` for the JSON format, under
event, source, uid, file, message_id, outcome, ticket and ms. Nothing of the mail's content is logged.
"""

from __future__ import annotations

import logging

from inbox_worker.domain.decision import Decision
from inbox_worker.mail.incoming import IncomingMail

log = logging.getLogger(__name__)


def _where(mail: IncomingMail) -> tuple[str, dict[str, object]]:
    if mail.uid is not None:
        return f"uid={mail.uid}", {"uid": mail.uid, "file": None}
    if mail.source.startswith("file:"):
        file = mail.source.removeprefix("file:")
        return f"file={file}", {"uid": None, "file": file}
    return f"source={mail.source}", {"uid": None, "file": None}


def log_processed(batch: list[IncomingMail], decisions: list[Decision], timings: list[float]) -> None:
    """One line per mail of a committed batch; `ms`: the time to decide and write it (parsing runs alongside)."""
    if not log.isEnabledFor(logging.INFO):
        return
    timings = timings if len(timings) == len(batch) else [0.0] * len(batch)
    for mail, decision, ms in zip(batch, decisions, timings, strict=True):
        where, fields = _where(mail)
        log.info("message %s message_id=%s outcome=%s ticket=%s ms=%.1f", where, decision.message_id,
                 decision.outcome, decision.ticket, ms,
                 extra={"event": "mail", "source": mail.source, **fields, "message_id": decision.message_id,
                        "outcome": str(decision.outcome), "ticket": decision.ticket, "ms": round(ms, 1)})
