"""Run stored mail through the path: parse -> read context -> pure pipeline -> render -> one write.

This is the edge where I/O meets the pure pipeline, and the only way mail is processed (ingest,
IMAP, tests and benchmarks alike; `explain` is the same path without the write). Mail is handled in
batches: one commit stores a batch's raw bytes before anything else happens to them (store/raw.py).
Then each mail is decided and rendered in a transaction that only reads (it holds no write lock),
and one write transaction applies the batch: it reads each mail's context again, and takes the
decision made before when the context is unchanged (the pipeline is pure: same input, same
decision), else decides again. So the write lock is held for reads and writes, not for the parsing
and word scans of a large mail. Should a mail fail, that transaction is rolled back and the batch
is redone one mail per transaction, so the failing mail is quarantined alone with its reason.
A database that stays locked is nobody's fault: it stops the run (DatabaseBusy), it quarantines nothing.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.domain.decision import Decision, quarantined
from inbox_worker.domain.enums import Outcome
from inbox_worker.domain.outgoing import MailOut, StoredAttachment
from inbox_worker.domain.types import MailContext, ParsedMail, RegistrySnapshot, TraceEntry
from inbox_worker.errors import DatabaseBusy, UserError
from inbox_worker.mail.batching import ParsePool, process_batches
from inbox_worker.mail.events import log_processed
from inbox_worker.mail.incoming import IncomingMail, ParseResult, SavedAttachment, parse_safely, unreadable
from inbox_worker.mail.parse.parser import ParseError
from inbox_worker.mail.pipeline import PipelineParams, Rulebook, run_pipeline
from inbox_worker.mail.rulebook import load_rulebook
from inbox_worker.outbound.mail_out import mail_out
from inbox_worker.outbound.render import Renderer
from inbox_worker.store import apply as writes
from inbox_worker.store import raw as raw_store
from inbox_worker.store import repository
from inbox_worker.store.db import READ_ONLY, is_busy
from inbox_worker.store.files import AttachmentStore
from inbox_worker.store.raw import RawInput, StoredRaw

log = logging.getLogger(__name__)
Item = tuple[IncomingMail, StoredRaw, ParseResult | None]


class _MailFailed(Exception):
    """A mail failed inside a batch transaction: the batch is redone one mail at a time."""


@dataclass(frozen=True)
class _Prepared:
    """A mail decided and rendered before the write transaction, on the context it read then."""

    context: MailContext
    decision: Decision
    out: MailOut


class Runner:
    """Everything needed to process mail, loaded once: rules, templates, registry snapshot, database."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.rules = load_rulebook(settings.paths.rules)
        self.params = PipelineParams.from_settings(settings)
        self.renderer = Renderer(settings)
        self.attachments = AttachmentStore(settings.storage.attachments_dir,
                                           int(settings.storage.max_attachment_mb * 1024 * 1024))
        self.registry: RegistrySnapshot = self.refresh_registry()
        # Milliseconds each mail of the last batch took to decide and write (for the per-message log line).
        self.last_timings: list[float] = []
        # Attachments the parse worker already wrote to disk (by sha256), for the batch being applied.
        self.saved: Mapping[str, SavedAttachment] = {}
        # The longest a write transaction of this runner held the database (ms), and how many mails the
        # write transactions decided again because their context changed after they were prepared.
        self.longest_write_ms = 0.0
        self.decided_again = 0

    def refresh(self) -> None:
        """Once per poll cycle: the registry as imported now, and the rules as edited now (as explain sees them).

        A rules file with a mistake is not taken: the worker goes on with the rules it has, and says why.
        """
        self.refresh_registry()
        try:
            self.rules = load_rulebook(self.settings.paths.rules)
        except UserError as exc:
            log.error("rules not reloaded, the previous ones stay in force: %s", exc)

    def refresh_registry(self) -> RegistrySnapshot:
        """Reload customers, contacts and devices (after a registry import, or once per poll cycle)."""
        with self.sessions() as session:
            self.registry = repository.load_snapshot(session)
            self.ids = writes.RegistryIds.load(session)
            self.customer_keys = repository.customer_keys(session)
        return self.registry

    def run(self, batches: Iterable[list[IncomingMail]], pool: ParsePool | None = None,
            now: datetime | None = None) -> Iterator[tuple[list[IncomingMail], list[Decision]]]:
        """Each batch's decisions, in order, after its transaction committed (`pool`: parse ahead).

        Each mail's log event (mail/events.py) is written here, once the batch has committed.
        """
        for batch, decisions in process_batches(self, batches, pool, now):
            log_processed(batch, decisions, self.last_timings)
            yield batch, decisions

    def process(self, raw: bytes, source: str, uid: int | None = None, now: datetime | None = None,
                quarantine_reason: str | None = None) -> dict[str, Any]:
        """One mail, as a batch of one; its decision object. `quarantine_reason` stores it and quarantines it."""
        return self.process_batch([IncomingMail(raw, source, uid, quarantine_reason)], now)[0].as_json()

    def process_batch(self, batch: list[IncomingMail], now: datetime | None = None) -> list[Decision]:
        return next(iter(self.run([batch], None, now)))[1]

    def store(self, batch: list[IncomingMail], now: datetime) -> list[StoredRaw]:
        """Commit the raw bytes of the batch; nothing else happens to them first."""
        inputs = [RawInput(mail.raw, mail.source, mail.uid, mail.arrived_at) for mail in batch]
        try:
            with self.sessions() as session:
                try:
                    return raw_store.store_raws(session, inputs, now)
                except Exception as exc:  # e.g. another worker stored one meanwhile: one at a time instead
                    if is_busy(exc):
                        raise
                    session.rollback()
                    stored = [raw_store.store_raw(session, i.raw, i.source, i.uid, now, i.arrived_at)
                              for i in inputs]
        except Exception as exc:
            if is_busy(exc):
                raise DatabaseBusy(str(exc).splitlines()[0]) from None
            raise
        first: dict[int, int] = {}  # one at a time, two copies of one new mail come back as one row
        for index, record in enumerate(stored):
            if not record.already_processed and record.id in first:
                stored[index] = StoredRaw(record.id, False, None, first[record.id])
            first.setdefault(record.id, index)
        return stored

    @staticmethod
    def arrival(mail: IncomingMail, now: datetime) -> datetime:
        """When the mail reached the mailbox, as far as we can trust it: never later than now."""
        return min(mail.arrived_at, now) if mail.arrived_at is not None else now

    @staticmethod
    def needs_parsing(mail: IncomingMail, stored: StoredRaw) -> bool:
        return not (stored.already_processed or stored.duplicate_of is not None or mail.quarantine_reason)

    def apply_batch(self, batch: list[IncomingMail], stored: list[StoredRaw], parsed: list[ParseResult | None],
                    now: datetime, saved: Mapping[str, SavedAttachment] | None = None) -> list[Decision]:
        """Decide and write each mail of a stored batch, in order; `saved`: attachments already on disk.

        Fast path: the whole batch in one transaction. Should any mail fail (rare), that transaction
        is rolled back and the batch is redone one transaction per mail, where the failing mail is
        quarantined alone: nothing is half-written, and the others are not held back by it.
        """
        self.last_timings = []
        self.saved = saved or {}
        parsed = [p if p is not None or not self.needs_parsing(m, s) else parse_safely(m.raw)
                  for m, s, p in zip(batch, stored, parsed, strict=True)]
        items = list(zip(batch, stored, parsed, strict=True))
        try:
            prepared = self._prepare(items, now)
            return self._write(items, prepared, now)
        except DatabaseBusy:
            raise
        except Exception as exc:
            if is_busy(exc):
                raise DatabaseBusy(str(exc).splitlines()[0]) from None
            raise

    def _prepare(self, items: list[Item], now: datetime) -> list[_Prepared | None]:
        """Decide and render every mail to process, in a transaction that only reads (no write lock).

        Later mails of the batch see what the earlier ones will write (store/apply.expect), as in the
        write transaction. A mail that cannot be decided here is left to the write transaction, which
        quarantines it with its reason.
        """
        prepared: list[_Prepared | None] = []
        rows = writes.PendingRows()
        with self.sessions() as session:
            session.connection(execution_options=READ_ONLY)
            rows.acks = repository.recent_acks(session, self._senders(items, now), now)
            rows.next_ticket = repository.next_ticket_number(session)
            for mail, record, result in items:
                if not self.needs_parsing(mail, record) or not isinstance(result, ParsedMail):
                    prepared.append(None)
                    continue
                try:
                    context = self._context(session, rows, mail, record, result, now)
                    decision, out = decide(result, context, self.registry, self.rules, self.params,
                                           self.renderer, now)
                except Exception as exc:
                    if is_busy(exc):
                        raise
                    prepared.append(None)  # decided again under the lock, where the failure is recorded
                    continue
                writes.expect(rows, decision, result, out, self.ids, self.arrival(mail, now), context)
                prepared.append(_Prepared(context, decision, out))
        return prepared

    def _write(self, items: list[Item], prepared: list[_Prepared | None], now: datetime) -> list[Decision]:
        if len(items) > 1:
            try:
                with self._timed(), self.sessions.begin() as session:
                    return self._apply_all(session, items, prepared, now, strict=True)
            except _MailFailed as failure:
                if is_busy(failure):
                    raise
                log.warning("a mail in a batch of %s failed; redoing the batch one mail at a time", len(items))
                self.last_timings = []
        decisions: list[Decision] = []
        for item, ready in zip(items, prepared, strict=True):
            with self._timed(), self.sessions() as session:  # a plain session: after a rollback it begins anew
                decisions += self._apply_all(session, [item], [ready], now, strict=False, earlier=decisions)
                session.commit()
        return decisions

    def _timed(self) -> _WriteTimer:
        return _WriteTimer(self)

    def _senders(self, items: list[Item], now: datetime) -> list[tuple[ParsedMail, datetime]]:
        return [(p, self.arrival(m, now)) for m, _, p in items if isinstance(p, ParsedMail)]

    def _context(self, session: Session, rows: writes.PendingRows, mail: IncomingMail, record: StoredRaw,
                 parsed: ParsedMail, now: datetime) -> MailContext:
        return repository.mail_context(session, parsed, now, self.customer_keys, rows.ref_tickets, rows.acks,
                                       self.settings.company.timezone, rows.visits, rows.next_ticket,
                                       self.arrival(mail, now), record.copies, rows.ticket_states)

    def _apply_all(self, session: Session, items: list[Item], prepared: list[_Prepared | None], now: datetime,
                   strict: bool, earlier: list[Decision] | None = None) -> list[Decision]:
        decisions: list[Decision] = list(earlier or [])
        start = len(decisions)
        rows = writes.PendingRows()
        self._begin(session, rows, items, now)
        for (mail, record, result), ready in zip(items, prepared, strict=True):
            started = time.perf_counter()
            if record.already_processed:
                decisions.append(_previous(record.previous_decision).as_duplicate())
            elif record.duplicate_of is not None:
                decisions.append(decisions[record.duplicate_of].as_duplicate())
            elif record.id in rows.already_processed:  # another worker finished it meanwhile
                decisions.append(_previous(raw_store.previous_decision(session, record.id)).as_duplicate())
            else:
                decisions.append(self._apply_one(session, rows, mail, record, result, ready, now, strict))
            self.last_timings.append((time.perf_counter() - started) * 1000)
        try:
            rows.flush(session.connection())
        except Exception as exc:  # a row the database refuses: find the mail, one transaction each
            if strict:
                raise _MailFailed from exc
            raise
        return decisions[start:]

    def _begin(self, session: Session, rows: writes.PendingRows, items: list[Item], now: datetime) -> None:
        """Claim the raw rows, and read once what every mail of the batch needs (acks to its senders, ticket number)."""
        writes.claim_raws(session.connection(), [r.id for _, r, _ in items if not r.already_processed], rows,
                          frozenset(r.id for _, r, _ in items if r.again))
        rows.acks = repository.recent_acks(session, self._senders(items, now), now)
        rows.next_ticket = repository.next_ticket_number(session)

    def _apply_one(self, session: Session, rows: writes.PendingRows, mail: IncomingMail, record: StoredRaw,
                   parsed: ParseResult | None, ready: _Prepared | None, now: datetime, strict: bool) -> Decision:
        raw_id = record.id
        try:
            if mail.quarantine_reason:
                return self._quarantine(rows, mail.raw, raw_id, now, mail.quarantine_reason, "too-large")
            decision = self._decide_and_write(session, rows, mail, record, parsed or parse_safely(mail.raw), ready,
                                              now)
            if not strict:  # alone in its transaction: what the database refuses is this mail's fault
                rows.flush(session.connection())
            return decision
        except Exception as exc:  # the worker must go on: keep the mail, with the reason, for staff
            if strict or is_busy(exc):  # a busy database is no fault of the mail: not quarantined for it
                raise _MailFailed from exc
            session.rollback()
            rows.reset()
            self._begin(session, rows, [(mail, StoredRaw(raw_id, False, None, again=record.again), None)], now)
            log.exception("processing failed; quarantining raw message %s", raw_id)
            decision = failed(mail.raw, exc, parsed if isinstance(parsed, ParsedMail) else None)
            try:
                writes.record_quarantine(rows, raw_id, decision, now)
            except writes.AlreadyProcessed:
                return _previous(raw_store.previous_decision(session, raw_id)).as_duplicate()
            return decision

    def _quarantine(self, rows: writes.PendingRows, raw: bytes, raw_id: int, now: datetime, reason: str,
                    rule: str) -> Decision:
        decision = unreadable(raw, reason, rule)
        writes.record_quarantine(rows, raw_id, decision, now)
        return decision

    def _decide_and_write(self, session: Session, rows: writes.PendingRows, mail: IncomingMail, record: StoredRaw,
                          parsed: ParseResult, ready: _Prepared | None, now: datetime) -> Decision:
        raw_id = record.id
        if isinstance(parsed, ParseError):
            return self._quarantine(rows, mail.raw, raw_id, now, str(parsed), "unparseable")
        context = self._context(session, rows, mail, record, parsed, now)
        if ready is not None and ready.context == context:
            decision, out = ready.decision, ready.out
        else:  # not prepared, or something changed since (another writer): decided here, on what is now
            self.decided_again += ready is not None
            decision, out = decide(parsed, context, self.registry, self.rules, self.params, self.renderer, now)
        if decision.outcome == Outcome.QUARANTINED:
            writes.record_quarantine(rows, raw_id, decision, now)
            return decision
        writes.apply(session.connection(), rows, decision, parsed, raw_id, out, self._save_attachments(parsed),
                     self.ids, now, self.arrival(mail, now))
        return decision

    def _save_attachments(self, mail: ParsedMail) -> list[StoredAttachment]:
        """Write the attachments to disk, unless the parse worker did (it then sent the mail without the bytes)."""
        files = []
        for attachment in mail.attachments:
            saved = self.saved.get(attachment.sha256)
            path, skipped = saved if saved is not None else self.attachments.save(attachment.payload, attachment.sha256)
            files.append(StoredAttachment(attachment.filename, attachment.content_type, attachment.size,
                                          attachment.sha256, path, skipped))
        return files


class _WriteTimer:
    """Measures how long a write transaction holds the database (Runner.longest_write_ms)."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        held = (time.perf_counter() - self.started) * 1000
        self.runner.longest_write_ms = max(self.runner.longest_write_ms, held)


def decide(mail: ParsedMail, context: MailContext, registry: RegistrySnapshot, rules: Rulebook,
           params: PipelineParams, renderer: Renderer, now: datetime) -> tuple[Decision, MailOut]:
    """The decision and the mail it sends, rendered before anything is written: what ingest writes, explain prints."""
    decision = run_pipeline(mail, context, registry, rules, params)
    if decision.outcome == Outcome.QUARANTINED:
        return decision, MailOut()
    return decision, mail_out(renderer, decision, mail, now, registry)


def failed(raw: bytes, exc: Exception, mail: ParsedMail | None = None) -> Decision:
    """An unexpected error: the mail is quarantined with the error and where it happened, for staff
    (with its sender and subject when it was read, so the quarantine desk can say which mail it is)."""
    reason = f"Uventet fejl under behandling: {type(exc).__name__}: {exc}"[:500]
    where = "".join(traceback.format_exception(exc, limit=-4))  # the innermost frames: where it failed
    trace = (TraceEntry("runner", "unexpected-error", "quarantine", reason, {"traceback": where}),)
    return quarantined(reason, "unexpected-error", mail, message_id=raw_store.header_message_id(raw), trace=trace)


def _previous(stored: dict[str, Any] | None) -> Decision:
    """The logged decision of a mail processed before (a mail always has one once processed)."""
    return Decision.from_json(stored) if stored else Decision(Outcome.DUPLICATE, first_outcome="ukendt")
