"""`explain`: the decision for one mail by the same path as ingest (parse, context, pipeline), writing nothing.

The database is opened read-only; nothing is written or sent. What ingest would store for the mail
now is what this prints: the same decision (a new ticket's number included) and the same trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.decision import Decision
from inbox_worker.domain.types import MailContext, RegistrySnapshot
from inbox_worker.errors import UserError
from inbox_worker.mail.incoming import parse_safely, unreadable
from inbox_worker.mail.parse.parser import ParseError
from inbox_worker.mail.pipeline import PipelineParams
from inbox_worker.mail.rulebook import load_rulebook
from inbox_worker.mail.runner import decide, failed
from inbox_worker.outbound.render import Renderer
from inbox_worker.store import raw as raw_store
from inbox_worker.store import repository
from inbox_worker.store.db import make_readonly_engine, schema_ready


def explain(settings: Settings, path: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    rules, params = load_rulebook(settings.paths.rules), PipelineParams.from_settings(settings)
    parsed = parse_safely(raw)
    registry = RegistrySnapshot({}, {}, {}, {})
    context = MailContext(now=now, tagged_ticket=None, referenced_ticket=None, acks_to_sender_last_hour=0,
                          next_ticket_number=1)
    previous = None
    engine = make_readonly_engine(settings.database.url)
    if engine is not None and schema_ready(engine):
        with Session(engine) as session:
            previous, copies = raw_store.seen_before(session, raw)
            if previous is None and not isinstance(parsed, ParseError):
                registry = repository.load_snapshot(session)
                context = repository.mail_context(session, parsed, now, repository.customer_keys(session),
                                                  timezone=settings.company.timezone, copies=copies)
        engine.dispose()
    if previous is not None:  # the same mail again: nothing new would happen
        decision = Decision.from_json(previous).as_duplicate()
    elif isinstance(parsed, ParseError):
        decision = unreadable(raw, str(parsed), "unparseable")
    else:
        try:  # rendered too, as ingest does: a mail that cannot be answered is quarantined there
            decision, _ = decide(parsed, context, registry, rules, params, Renderer(settings), now)
        except Exception as exc:
            decision = failed(raw, exc, parsed)
    return {**decision.as_json(), "trace": decision.trace_json()}
