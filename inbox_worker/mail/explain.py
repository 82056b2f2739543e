"""`explain`: the decision for one mail, computed against the database read-only: nothing is written or sent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.decision import decision_object, quarantine_decision, trace_object
from inbox_worker.domain.types import MailContext, Outcome, RawState, RegistrySnapshot
from inbox_worker.errors import UserError
from inbox_worker.mail.parse.parser import ParseError, parse_mail
from inbox_worker.mail.pipeline import PipelineParams, Rulebook, run_pipeline
from inbox_worker.store import repository
from inbox_worker.store.db import make_readonly_engine, schema_ready
from inbox_worker.store.models import RawMessage


def _empty_context(now: datetime) -> MailContext:
    return MailContext(now=now, tagged_ticket=None, referenced_ticket=None, acks_to_sender_last_hour=0)


def _already_processed(session: Session, raw: bytes) -> bool:
    import hashlib

    key = repository.header_message_id(raw) or f"sha256:{hashlib.sha256(raw).hexdigest()}"
    state = session.scalar(select(RawMessage.state).where(RawMessage.dedupe_key == key))
    return state == RawState.PROCESSED


def explain(settings: Settings, path: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    rules = Rulebook.load(settings.paths.rules)
    try:
        mail = parse_mail(raw)
    except ParseError as exc:
        return quarantine_decision(None, repository.header_message_id(raw), str(exc), "unparseable")
    engine = make_readonly_engine(settings.database.url)
    registry = RegistrySnapshot({}, {}, {}, {})
    context, duplicate = _empty_context(now), False
    if engine is not None and schema_ready(engine):
        with Session(engine) as session:
            registry = repository.load_snapshot(session)
            context = repository.mail_context(session, mail, now, repository.customer_keys(session))
            duplicate = _already_processed(session, raw)
        engine.dispose()
    item = run_pipeline(mail, context, registry, rules, PipelineParams.from_settings(settings))
    if item.outcome == Outcome.QUARANTINED:
        assert item.guard is not None
        result = quarantine_decision(mail, None, item.guard.reason, item.guard.rule)
    else:
        ack = "queued" if item.ack and item.ack.send else ("suppressed" if item.ack and item.ack.reason else "none")
        ticket = item.thread.ticket if item.thread else None
        result = decision_object(item, ticket, ack, item.ack.reason if item.ack else None)
    if duplicate:
        result["outcome"], result["ack"] = str(Outcome.DUPLICATE), "none"
        result["reason"] = "Mailen er allerede behandlet: en ny indlæsning ændrer intet"
    result["trace"] = trace_object(item)
    return result
