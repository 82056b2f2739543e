"""A privacy export (GDPR): everything held about a person or a customer as one zip, recorded as given out.

The original mails byte for byte (their sha256 is the one stored when they arrived), the stored attachments,
the mail we sent them, one JSON document per kind, a Danish index.html and manifest.json with every member's
sha256 and size. Read in one snapshot (SQLite: a deferred read transaction; PostgreSQL: REPEATABLE READ), so
the documents and the files agree; recorded in the access log and the audit log by whoever gave it out.
"""

from __future__ import annotations

import email
import json
from dataclasses import dataclass
from datetime import datetime
from email.policy import default as default_policy
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.errors import UserError
from inbox_worker.features.privacy import index_page, records
from inbox_worker.features.privacy import scope as scopes
from inbox_worker.features.privacy.archive import Archive, atomic_file, safe_name
from inbox_worker.features.privacy.collect import Collected, collect
from inbox_worker.features.privacy.mails import raw_bytes
from inbox_worker.features.privacy.scope import Scope
from inbox_worker.outbound.render import Renderer
from inbox_worker.store import access_log, audit
from inbox_worker.store.access_log import AccessAction
from inbox_worker.store.db import READ_ONLY

AUDIT_ACTION = "privacy-export"
_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class ExportResult:
    scope: Scope
    counts: dict[str, int]
    missing: list[str]  # stored attachments whose file was not found (named by member, never by content)
    path: Path | None = None
    size: int = 0


def snapshot(session: Session) -> None:
    """Begin the session's transaction as one consistent read (call first, before any query)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
    else:
        session.connection(execution_options=READ_ONLY)


def _plain_text(body: bytes) -> str | None:
    try:
        part = email.message_from_bytes(body, policy=default_policy).get_body(("plain",))
        text = str(part.get_content()).replace("\r\n", "\n") if part is not None else None
        return text[:_TEXT_CHARS] if text is not None else None
    except (LookupError, ValueError, TypeError, AttributeError):
        return None


class _Writer:
    """Adds one export's members to the archive in a fixed order, noting which name each record got."""

    def __init__(self, session: Session, archive: Archive, collected: Collected, attachments_dir: Path) -> None:
        self.session, self.archive, self.collected = session, archive, collected
        self.folder = attachments_dir.resolve()
        self.mail_files: dict[int, str] = {}
        self.sent_files: dict[int, str] = {}
        self.stored: dict[str, str] = {}  # "mail-<attachment id>" / "sent-<id>" -> member name
        self.missing: list[str] = []
        self.texts: dict[int, str | None] = {}

    def mails(self) -> None:
        for mail in self.collected.mails:
            data = raw_bytes(self.session, mail.id) if mail.has_bytes else None
            if data is not None:
                self.mail_files[mail.id] = self.archive.add(mail.file, data)

    def _file(self, key: str, name: str, stored_path: str | None) -> None:
        if stored_path is None:
            return
        path = (self.folder / stored_path).resolve()
        try:
            if not path.is_relative_to(self.folder) or not path.is_file():
                raise FileNotFoundError(stored_path)
            self.stored[key] = self.archive.add_file(name, path)
        except OSError:
            self.missing.append(name)

    def attachments(self) -> None:
        for record in self.collected.mail_attachments:
            self._file(f"mail-{record.id}", f"attachments/mail-{record.raw_message_id}-{record.id}-"
                       f"{safe_name(record.filename)}", record.stored_path)

    def outgoing(self) -> None:
        summaries = {s.outbox_id for s in self.collected.summaries}
        for row in self.collected.outgoing:
            body = row.body
            self.sent_files[row.id] = self.archive.add(f"sent/outbox-{row.id}.eml", body)
            if row.id in summaries:
                self.texts[row.id] = _plain_text(body)
            self.session.expire(row, ["body"])  # not kept in memory with the others
        for record in self.collected.outgoing_attachments:
            self._file(f"sent-{record.id}", f"attachments/sent-{record.outbox_id}-{record.id}-"
                       f"{safe_name(record.filename)}", record.stored_path)

    def documents(self, clock: records.Clock) -> None:
        c, files = self.collected, {**self.mail_files}
        registry_name, registry = records.registry_json(c)
        for name, document in (
                (registry_name, registry), ("mails.json", records.mails_json(c, clock, files, self.stored)),
                ("tickets.json", records.tickets_json(c, clock, files)),
                ("time_entries.json", records.time_entries_json(c, clock)),
                ("summaries.json", records.summaries_json(c, clock, self.sent_files, self.texts)),
                ("outgoing.json", records.outgoing_json(c, clock, self.sent_files, self.stored)),
                ("audit.json", records.audit_json(c, clock)), ("access_log.json", records.access_json(c, clock))):
            self.archive.add(name, _json(document))

    def counts(self) -> dict[str, int]:
        c = self.collected
        return {"mails": len(self.mail_files), "quarantined": sum(1 for m in c.mails if m.quarantined and
                                                                   m.id in self.mail_files),
                "mails_without_bytes": len(c.mails) - len(self.mail_files), "attachments": len(self.stored),
                "attachments_missing": len(self.missing), "tickets": len(c.tickets), "own_tickets": len(c.own),
                "entries": sum(len(e) for e in c.entries.values()), "entries_left_out": c.left_out,
                "time_entries": len(c.time_entries), "summaries": len(c.summaries), "outgoing": len(c.outgoing),
                "audit": len(c.audit), "access_log": len(c.access)}


def _json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")


def write_export(session: Session, scope: Scope, out: IO[bytes], settings: Settings, renderer: Renderer,
                 now: datetime, actor: str) -> ExportResult:
    """Write the zip of `scope` to `out`, reading with `session` (begun with `snapshot`)."""
    clock = records.Clock(settings.company.timezone)
    template = index_page.template(renderer)  # a missing template refuses before anything is read or written
    collected = collect(session, scope)
    with Archive(out, now.astimezone(clock.zone)) as archive:
        writer = _Writer(session, archive, collected, Path(settings.storage.attachments_dir))
        writer.mails()
        writer.attachments()
        writer.outgoing()
        writer.documents(clock)
        counts = writer.counts()
        archive.add("index.html", index_page.render(template, renderer, collected, counts, archive.members,
                                                    writer.missing, now, actor))
        archive.add("manifest.json", _json({
            "generated_at": clock.at(now), "generated_by": actor,
            "scope": {"kind": scope.kind.value, "what": scope.what,
                      "customer": scope.customer.key if scope.customer else None,
                      "addresses": sorted(scope.addresses)},
            "counts": counts, "files": [m.as_json() for m in archive.members],
            "missing_attachments": writer.missing}))
    return ExportResult(scope, counts, writer.missing)


def record_export(session: Session, result: ExportResult, actor: str, now: datetime, via: str) -> None:
    """The export in the access log and the audit log (what: record ids and counts, never an address)."""
    scope = result.scope
    access_log.record(session, actor, AccessAction.EXPORT, now, customer=scope.customer_id(), what=scope.what)
    audit.record(session, actor, AUDIT_ACTION, now, customer=scope.customer_id(), scope=scope.kind.value,
                 what=scope.what, via=via, counts=result.counts)


def resolve(session: Session, email_address: str | None, customer_key: str | None) -> Scope:
    if customer_key:
        return scopes.customer(session, customer_key)
    if not email_address:
        raise UserError("privacy export: angiv en mailadresse eller --customer NØGLE")
    return scopes.person(session, email_address)


def export_to_path(settings: Settings, engine: Engine, email_address: str | None, customer_key: str | None,
                   out: str | None, actor: str, now: datetime) -> ExportResult:
    """The command line's export: written atomically to `out` (default privacy-<who>.zip), then recorded."""
    with Session(engine) as session:
        snapshot(session)
        scope = resolve(session, email_address, customer_key)
        path = Path(out) if out else Path(f"privacy-{scope.slug}.zip")
        if path.is_dir():
            raise UserError(f"privacy export: {path} er en mappe; angiv en fil med --out")
        try:
            with atomic_file(path) as handle:
                result = write_export(session, scope, handle, settings, Renderer(settings), now, actor)
                with Session(engine) as writer, writer.begin():
                    record_export(writer, result, actor, now, "cli")
        except OSError as exc:
            raise UserError(f"privacy export: kan ikke skrive {path}: {exc.strerror or exc}") from None
    return ExportResult(scope, result.counts, result.missing, path, path.stat().st_size)
