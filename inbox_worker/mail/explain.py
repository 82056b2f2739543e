"""`explain`: the decision for one mail by the same path as ingest (parse, context, pipeline), writing nothing.

The database is opened read-only; nothing is written or sent. What ingest would store for the mail
now is what this prints: the same decision (a new ticket's number included) and the same trace.
The mail file is read as ingest reads it (over `[mailbox] max_message_mb`: its headers, quarantined),
and whatever goes wrong with the mail ends, as in ingest, in a quarantine decision, never a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.decision import Decision
from inbox_worker.domain.types import MailContext, RegistrySnapshot
from inbox_worker.mail.incoming import IncomingMail, parse_safely, unreadable
from inbox_worker.mail.parse.parser import ParseError
from inbox_worker.mail.pipeline import PipelineParams, Rulebook
from inbox_worker.mail.rulebook import load_rulebook
from inbox_worker.mail.runner import decide, failed
from inbox_worker.mail.sources.files import read_mail
from inbox_worker.outbound.render import Renderer
from inbox_worker.store import raw as raw_store
from inbox_worker.store import repository
from inbox_worker.store.db import make_readonly_engine, schema_ready


def explain(settings: Settings, path: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    mail = read_mail(Path(path), settings.mailbox.max_message_mb)
    rules, params = load_rulebook(settings.paths.rules), PipelineParams.from_settings(settings)
    renderer = Renderer(settings)
    engine = make_readonly_engine(settings.database.url)
    if engine is not None and schema_ready(engine):
        with Session(engine) as session:
            decision = decision_for(mail, rules, params, renderer, now, session, settings.company.timezone)
        engine.dispose()
    else:
        decision = decision_for(mail, rules, params, renderer, now)
    return {**decision.as_json(), "trace": decision.trace_json()}


def decision_for(mail: IncomingMail, rules: Rulebook, params: PipelineParams, renderer: Renderer, now: datetime,
                 session: Session | None = None, timezone: str = "Europe/Copenhagen") -> Decision:
    """The decision ingest would store for `mail`: against the database read through `session`, or with none
    (an empty registry, no earlier mail). Never raises for anything in the mail."""
    copies = None
    if session is not None:
        previous, copies = raw_store.seen_before(session, mail.raw)
        if previous is not None:  # the same mail again: nothing new would happen
            return Decision.from_json(previous).as_duplicate()
    if mail.quarantine_reason:
        return unreadable(mail.raw, mail.quarantine_reason, "too-large")
    parsed = parse_safely(mail.raw)
    if isinstance(parsed, ParseError):
        return unreadable(mail.raw, str(parsed), "unparseable")
    try:  # rendered too, as ingest does: a mail that cannot be answered is quarantined there
        registry = RegistrySnapshot({}, {}, {}, {})
        context = MailContext(now=now, tagged_ticket=None, referenced_ticket=None, acks_to_sender_last_hour=0,
                              next_ticket_number=1)
        if session is not None:
            registry = repository.load_snapshot(session)
            context = repository.mail_context(session, parsed, now, repository.customer_keys(session),
                                              timezone=timezone, copies=copies)
        return decide(parsed, context, registry, rules, params, renderer, now)[0]
    except Exception as exc:  # as ingest: the mail is quarantined with the error, for staff
        return failed(mail.raw, exc, parsed)
