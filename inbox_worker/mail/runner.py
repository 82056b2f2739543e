"""Process raw mail end to end: store the bytes, parse, look up context, run the pipeline, apply.

This is the edge where I/O meets the pure pipeline. Mail is handled in batches: one commit stores a
batch's raw bytes before anything else happens to them; one transaction then applies the batch,
each mail inside its own SAVEPOINT, so a mail that fails is rolled back alone and quarantined with
its reason and trace, and the others go on.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.domain.decision import decision_object, quarantine_decision, trace_object
from inbox_worker.domain.types import Outcome, ParsedMail, RegistrySnapshot, WorkItem
from inbox_worker.mail.parse.parser import ParseError, parse_mail
from inbox_worker.mail.pipeline import PipelineParams, Rulebook, run_pipeline
from inbox_worker.outbound.oncall_mail import compose_oncall
from inbox_worker.outbound.render import Renderer
from inbox_worker.store import apply as writes
from inbox_worker.store import escalate, repository
from inbox_worker.store.files import AttachmentStore
from inbox_worker.store.repository import RawInput, StoredRaw

log = logging.getLogger(__name__)
ParseResult = ParsedMail | ParseError
SavedAttachment = tuple[str | None, str | None]  # AttachmentStore.save's (relative path, reason not stored)


@dataclass(frozen=True)
class IncomingMail:
    raw: bytes
    source: str
    uid: int | None = None
    # Set by the source when the mail must be quarantined unread (e.g. over the IMAP size limit).
    quarantine_reason: str | None = None


def parse_safely(raw: bytes) -> ParseResult:
    """Parse, turning any failure into a ParseError value (this also runs in a worker process)."""
    try:
        return parse_mail(raw)
    except ParseError as exc:
        return exc
    except Exception as exc:  # hostile input must never kill the worker process
        return ParseError(f"parser crashed: {type(exc).__name__}: {exc}")


class _MailFailed(Exception):
    """A mail failed inside a batch transaction: the batch is redone one mail at a time."""


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
        # Milliseconds each mail of the last batch took to decide and write (for the per-message log line).
        self.last_timings: list[float] = []
        # Attachments the parse worker already wrote to disk (by sha256), for the batch being applied.
        self.saved: Mapping[str, SavedAttachment] = {}

    def refresh_registry(self) -> RegistrySnapshot:
        """Reload customers, contacts and devices (after a registry import, or once per poll cycle)."""
        with self.sessions() as session:
            self.registry = repository.load_snapshot(session)
            self.ids = writes.RegistryIds.load(session)
            self.customer_keys = repository.customer_keys(session)
        return self.registry

    def process(self, raw: bytes, source: str, uid: int | None = None, now: datetime | None = None,
                mailbox: str | None = None, quarantine_reason: str | None = None) -> dict[str, Any]:
        """Process one mail; `quarantine_reason` stores it and quarantines it unread."""
        return self.process_batch([IncomingMail(raw, source, uid, quarantine_reason)], now, mailbox)[0]

    def process_batch(self, batch: list[IncomingMail], now: datetime | None = None,
                      mailbox: str | None = None) -> list[dict[str, Any]]:
        now = now or datetime.now(UTC)
        stored = self.store(batch, now, mailbox)  # committed before anything else happens to the mails
        parsed = [parse_safely(mail.raw) if self.needs_parsing(mail, record) else None
                  for mail, record in zip(batch, stored, strict=True)]
        return self.apply_batch(batch, stored, parsed, now)

    def store(self, batch: list[IncomingMail], now: datetime, mailbox: str | None = None) -> list[StoredRaw]:
        """Commit the raw bytes of the batch (and, for IMAP, the UIDs as seen); nothing else happens first."""
        inputs = [RawInput(mail.raw, mail.source, mail.uid) for mail in batch]
        with self.sessions() as session:
            try:
                return repository.store_raws(session, inputs, now, mailbox)
            except Exception:  # e.g. another worker stored one of them meanwhile: one at a time instead
                session.rollback()
                return [repository.store_raw(session, i.raw, i.source, i.uid, now, mailbox) for i in inputs]

    @staticmethod
    def needs_parsing(mail: IncomingMail, stored: StoredRaw) -> bool:
        return not (stored.already_processed or stored.duplicate_of is not None or mail.quarantine_reason)

    def apply_batch(self, batch: list[IncomingMail], stored: list[StoredRaw], parsed: list[ParseResult | None],
                    now: datetime, saved: Mapping[str, SavedAttachment] | None = None) -> list[dict[str, Any]]:
        """Decide and write each mail of a stored batch, in order; `saved`: attachments already on disk.

        Fast path: the whole batch in one transaction. Should any mail fail (rare), that transaction
        is rolled back and the batch is redone one transaction per mail, where the failing mail is
        quarantined alone: nothing is half-written, and the others are not held back by it.
        """
        items = list(zip(batch, stored, parsed, strict=True))
        self.last_timings = []
        self.saved = saved or {}
        if len(items) > 1:
            try:
                with self.sessions.begin() as session:
                    return self._apply_all(session, items, now, strict=True)
            except _MailFailed:
                log.warning("a mail in a batch of %s failed; redoing the batch one mail at a time", len(items))
                self.last_timings = []
        decisions: list[dict[str, Any]] = []
        for item in items:
            with self.sessions() as session:  # a plain session: after a rollback it begins anew
                decisions += self._apply_all(session, [item], now, strict=False, earlier=decisions)
                session.commit()
        return decisions

    def _apply_all(self, session: Session, items: list[tuple[IncomingMail, StoredRaw, ParseResult | None]],
                   now: datetime, strict: bool, earlier: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        decisions: list[dict[str, Any]] = list(earlier or [])
        start = len(decisions)
        rows = writes.PendingRows()
        self._begin(session, rows, items, now)
        for mail, record, result in items:
            started = time.perf_counter()
            if record.already_processed:
                decisions.append(self._duplicate(record.previous_decision))
            elif record.duplicate_of is not None:
                decisions.append(self._duplicate(decisions[record.duplicate_of]))
            elif record.id in rows.already_processed:  # another worker finished it meanwhile
                decisions.append(self._duplicate(repository.previous_decision(session, record.id)))
            else:
                decisions.append(self._apply_one(session, rows, mail, record.id, result, now, strict))
            self.last_timings.append((time.perf_counter() - started) * 1000)
        rows.flush(session.connection())
        return decisions[start:]

    @staticmethod
    def _begin(session: Session, rows: writes.PendingRows,
               items: list[tuple[IncomingMail, StoredRaw, ParseResult | None]], now: datetime) -> None:
        """Claim the raw rows, and read once what every mail of the batch needs (the acks to its senders)."""
        writes.claim_raws(session.connection(), [r.id for _, r, _ in items if not r.already_processed], rows)
        rows.acks = repository.recent_acks(session, [p for _, _, p in items if isinstance(p, ParsedMail)], now)

    def _apply_one(self, session: Session, rows: writes.PendingRows, mail: IncomingMail, raw_id: int,
                   parsed: ParseResult | None, now: datetime, strict: bool) -> dict[str, Any]:
        try:
            if mail.quarantine_reason:
                return self._quarantine(rows, mail.raw, raw_id, now, mail.quarantine_reason, "too-large")
            return self._decide_and_write(session, rows, mail.raw, raw_id, parsed or parse_safely(mail.raw), now)
        except Exception as exc:  # the worker must go on: keep the mail, with the reason, for staff
            if strict:
                raise _MailFailed from exc
            session.rollback()
            rows.reset()
            self._begin(session, rows, [(mail, StoredRaw(raw_id, False, None), None)], now)
            log.exception("processing failed; quarantining raw message %s", raw_id)
            reason = f"Uventet fejl under behandling: {type(exc).__name__}: {exc}"[:500]
            trace = [{"stage": "processor", "rule": "unexpected-error", "result": "quarantine", "reason": reason,
                      "details": {"traceback": traceback.format_exc(limit=6)}}]
            decision = quarantine_decision(None, repository.header_message_id(mail.raw), reason, "unexpected-error")
            try:
                writes.record_quarantine(rows, raw_id, decision, trace, now)
            except writes.AlreadyProcessed:
                return self._duplicate(repository.previous_decision(session, raw_id))
            return decision

    def _quarantine(self, rows: writes.PendingRows, raw: bytes, raw_id: int, now: datetime, reason: str,
                    rule: str) -> dict[str, Any]:
        decision = quarantine_decision(None, repository.header_message_id(raw), reason, rule)
        trace = [{"stage": "parse", "rule": rule, "result": "quarantine", "reason": reason, "details": {}}]
        writes.record_quarantine(rows, raw_id, decision, trace, now)
        return decision

    def _decide_and_write(self, session: Session, rows: writes.PendingRows, raw: bytes, raw_id: int,
                          parsed: ParseResult, now: datetime) -> dict[str, Any]:
        if isinstance(parsed, ParseError):
            return self._quarantine(rows, raw, raw_id, now, str(parsed), "unparseable")
        context = repository.mail_context(session, parsed, now, self.customer_keys, rows.ref_tickets, rows.acks,
                                          self.settings.company.timezone, rows.visits)
        item = run_pipeline(parsed, context, self.registry, self.rules, self.params)
        if item.outcome == Outcome.QUARANTINED:
            assert item.guard is not None
            decision = quarantine_decision(parsed, None, item.guard.reason, item.guard.rule)
            writes.record_quarantine(rows, raw_id, decision, trace_object(item), now)
            return decision
        return writes.apply(session, rows, item, raw_id, now, self.ids, self.renderer.compose_ack,
                            self._save_attachment, decision_object, trace_object,
                            lambda connection, ticket, done: self._after_ticket(connection, rows, ticket, done, now))

    def _after_ticket(self, connection: Connection, rows: writes.PendingRows, ticket: int, item: WorkItem,
                      now: datetime) -> None:
        """A more urgent follow-up raises its ticket; an emergency calls the on-call person (once per ticket)."""
        escalate.raise_ticket(connection, ticket, item)
        if item.outcome == Outcome.NEW_TICKET and item.classification and item.classification.category == "visit":
            year = (item.parsed.date or now).astimezone(ZoneInfo(self.settings.company.timezone)).year
            if year in rows.visits:  # later mails of the batch count this visit too
                customer = item.link.customer if item.link else None
                rows.visits[year].append((ticket, self.ids.customers.get(customer or "")))
        company = self.settings.company
        escalate.call_oncall(connection, rows, ticket, item, now, self.registry, company.oncall_address,
                             company.staff_address,
                             lambda number, done, to: compose_oncall(self.renderer, number, done, to, self.registry))

    def _save_attachment(self, payload: bytes, sha256: str) -> SavedAttachment:
        """Write an attachment to disk, unless the parse worker did (it then sent the mail without the bytes)."""
        saved = self.saved.get(sha256)
        return saved if saved is not None else self.attachments.save(payload, sha256)

    @staticmethod
    def _duplicate(previous: dict[str, Any] | None) -> dict[str, Any]:
        decision = dict(previous or {})
        first = decision.get("outcome", "ukendt")
        if first == str(Outcome.DUPLICATE):
            first = decision.get("first_outcome", first)
        decision.update({"outcome": str(Outcome.DUPLICATE), "ack": "none", "review": [], "first_outcome": first})
        decision.pop("ack_reason", None)
        decision["reason"] = f"Allerede behandlet (første udfald: {first})"
        return decision
