"""Process one raw mail end to end: store the bytes, parse, look up context, run the pipeline, apply.

This is the edge where I/O meets the pure pipeline. Any unexpected error quarantines the mail with
its reason and trace; the caller (ingest, the IMAP worker) just moves on to the next mail.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from .config import Settings
from .decision import decision_object, quarantine_decision, trace_object
from .outbound.render import Renderer
from .parse import ParseError, parse_mail
from .pipeline import PipelineParams, Rulebook, run_pipeline
from .store import repository
from .store.files import AttachmentStore
from .workitem import Outcome, RegistrySnapshot

log = logging.getLogger(__name__)


class Processor:
    """Everything needed to process mail, loaded once: rules, templates, registry snapshot, database."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.rules = Rulebook.load(settings.paths.rules)
        self.params = PipelineParams.from_settings(settings)
        self.renderer = Renderer(settings)
        self.attachments = AttachmentStore(settings.storage.attachments_dir,
                                           int(settings.storage.max_attachment_mb * 1024 * 1024))
        self.registry: RegistrySnapshot = self.refresh_registry()

    def refresh_registry(self) -> RegistrySnapshot:
        with self.sessions() as session:
            self.registry = repository.load_snapshot(session)
        return self.registry

    def process(self, raw: bytes, source: str, uid: int | None = None, now: datetime | None = None,
                mailbox: str | None = None, quarantine_reason: str | None = None) -> dict[str, Any]:
        """Process one mail; `quarantine_reason` stores it and quarantines it at once (e.g. over the size limit)."""
        now = now or datetime.now(UTC)
        with self.sessions() as session:
            stored = repository.store_raw(session, raw, source, uid, now, mailbox)
        if stored.already_processed:
            return self._duplicate(stored.previous_decision)
        try:
            if quarantine_reason:
                return self._quarantine(raw, stored.id, now, quarantine_reason, "too-large")
            return self._process_stored(raw, stored.id, now)
        except repository.AlreadyProcessed:
            with self.sessions() as session:
                return self._duplicate(repository.previous_decision(session, stored.id))
        except Exception as exc:  # the worker must go on: keep the mail, with the reason, for staff
            log.exception("processing failed; quarantining raw message %s", stored.id)
            reason = f"Uventet fejl under behandling: {type(exc).__name__}: {exc}"[:500]
            trace = [{"stage": "processor", "rule": "unexpected-error", "result": "quarantine", "reason": reason,
                      "details": {"traceback": traceback.format_exc(limit=6)}}]
            decision = quarantine_decision(None, repository.header_message_id(raw), reason, "unexpected-error")
            try:
                with self.sessions.begin() as session:
                    repository.record_quarantine(session, stored.id, decision, trace, now)
            except repository.AlreadyProcessed:
                with self.sessions() as session:
                    return self._duplicate(repository.previous_decision(session, stored.id))
            return decision

    def _quarantine(self, raw: bytes, raw_id: int, now: datetime, reason: str, rule: str) -> dict[str, Any]:
        decision = quarantine_decision(None, repository.header_message_id(raw), reason, rule)
        trace = [{"stage": "parse", "rule": rule, "result": "quarantine", "reason": reason, "details": {}}]
        with self.sessions.begin() as session:
            repository.record_quarantine(session, raw_id, decision, trace, now)
        return decision

    def _process_stored(self, raw: bytes, raw_id: int, now: datetime) -> dict[str, Any]:
        try:
            mail = parse_mail(raw)
        except ParseError as exc:
            return self._quarantine(raw, raw_id, now, str(exc), "unparseable")
        with self.sessions.begin() as session:
            context = repository.mail_context(session, mail, now)
            item = run_pipeline(mail, context, self.registry, self.rules, self.params)
            if item.outcome == Outcome.QUARANTINED:
                assert item.guard is not None
                decision = quarantine_decision(mail, None, item.guard.reason, item.guard.rule)
                repository.record_quarantine(session, raw_id, decision, trace_object(item), now)
                return decision
            return repository.apply(session, item, raw_id, now, self.renderer.compose_ack, self.attachments.save,
                                    decision_object, trace_object)

    @staticmethod
    def _duplicate(previous: dict[str, Any] | None) -> dict[str, Any]:
        decision = dict(previous or {})
        decision.update({"outcome": str(Outcome.DUPLICATE), "ack": "none", "review": []})
        decision.pop("ack_reason", None)
        decision["reason"] = f"Allerede behandlet (første udfald: {(previous or {}).get('outcome', 'ukendt')})"
        return decision
