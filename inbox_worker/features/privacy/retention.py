"""`privacy retention`: apply the [privacy] periods now (`run` does it every night); `--dry-run` only counts.

What goes is found first in a read-only transaction; then the tickets are done in chunks, each in its own
short transaction that finds its part again (a ticket reopened meanwhile is left alone), so a first run over
years of mail never holds the database for long; then mail without a ticket, the old invoice basis and the
access log. Tickets whose text is anonymised name the run's record (privacy_erasures, scope "retention"),
which with an audit entry says when and how many. Files no row names any more go after the commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.retention import Cutoffs, Periods, cutoffs
from inbox_worker.store import access_log
from inbox_worker.store.apply import lock_ticket_numbers
from inbox_worker.store.db import READ_ONLY
from inbox_worker.store.models import PrivacyErasure
from inbox_worker.store.privacy import records
from inbox_worker.store.privacy.expire import anonymise_tickets, delete_invoice_basis, expire_mail
from inbox_worker.store.privacy.expiry import Expiry, find_expiry, invoice_expiry, loose_expiry, ticket_expiry
from inbox_worker.store.privacy.files import remove_files, unreferenced

CHUNK_TICKETS = 100
BY = "retention"
REASON = "Opbevaringsfristerne i [privacy]"
KINDS = ("raw_tickets", "raw", "quarantined", "attachments", "files", "outbox", "text_tickets", "time_entries",
         "overrides", "access_log")


@dataclass
class RetentionRun:
    cutoffs: Cutoffs
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    terminated_without_end: list[str] = field(default_factory=list)
    erasure: int | None = None  # the run's record, when it did something
    files_failed: list[str] = field(default_factory=list)  # files the disk would not let go (to remove by hand)


def periods(settings: Settings) -> Periods:
    p = settings.privacy
    return Periods(p.raw_mail_months, p.ticket_text_months, p.invoice_basis_years, p.access_log_months)


def _add(run: RetentionRun, found: Expiry, files: int = 0, access: int = 0) -> None:
    for kind in ("raw_tickets", "raw", "quarantined", "outbox", "text_tickets", "time_entries", "overrides"):
        run.counts[kind] += len(getattr(found, kind))
    run.counts["attachments"] += len(found.attachments) + len(found.outbox_attachments)
    run.counts["files"] += files
    run.counts["access_log"] += access


def run_retention(settings: Settings, engine: Engine, now: datetime, *, dry_run: bool = False) -> RetentionRun:
    zone = ZoneInfo(settings.company.timezone)
    run = RetentionRun(cutoffs(now, periods(settings), zone), dry_run)
    with Session(engine) as session:
        session.connection(execution_options=READ_ONLY)
        found = find_expiry(session, run.cutoffs, zone)
        files = len(unreferenced(session, found.paths, ignoring=found.attachments,
                                 ignoring_outbox=found.outbox_attachments))
        access = access_log.prune(session, run.cutoffs.access_log, dry_run=True)
    run.terminated_without_end = found.terminated_without_end
    if dry_run:
        _add(run, found, files, access)
        return run
    record: PrivacyErasure | None = None
    paths: set[str] = set()
    tickets = sorted(set(found.raw_tickets) | set(found.text_tickets))
    for start in range(0, len(tickets), CHUNK_TICKETS):
        with Session(engine, expire_on_commit=False) as session, session.begin():
            lock_ticket_numbers(session.connection())
            part = ticket_expiry(session, run.cutoffs, zone, tickets[start:start + CHUNK_TICKETS])
            if part.text_tickets and record is None:
                record = records.open_record(session, BY, REASON, "retention", None, now)
            expire_mail(session, part)
            if part.text_tickets:
                assert record is not None
                anonymise_tickets(session, part.text_tickets, record.id)
            paths |= set(part.paths)
            _add(run, part)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        lock_ticket_numbers(session.connection())
        rest = loose_expiry(session, run.cutoffs)
        rest.merge(invoice_expiry(session, run.cutoffs))
        expire_mail(session, rest)
        delete_invoice_basis(session, rest)
        paths |= set(rest.paths)
        gone = unreferenced(session, paths)
        _add(run, rest, len(gone), access_log.prune(session, run.cutoffs.access_log))
        if any(run.counts.values()):
            if record is None:
                record = records.open_record(session, BY, REASON, "retention", None, now)
            else:
                record = session.merge(record)
            records.close_record(session, record, dict(run.counts), "", action="privacy-retention")
            run.erasure = record.id
    remove_files(engine, settings.storage.attachments_dir, gone, run.files_failed)
    return run
