"""`privacy retention` (issue 16) with a controlled clock: what is past each period goes, nothing else moves.

Mail goes through the real pipeline at moments in the past (Runner.process with `now`), staff close tickets
then; `privacy retention` runs through the CLI's main() on today's clock. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.privacy import ANONYMOUS, EXPIRED, RAW_EXPIRED
from inbox_worker.domain.retention import months_before
from inbox_worker.features.outbox.flush import flush_outbox
from inbox_worker.features.tickets.clocks import ClockSetup
from inbox_worker.features.tickets.edit import set_field
from inbox_worker.features.tickets.ops import log_time
from inbox_worker.mail.runner import Runner
from inbox_worker.store import access_log
from inbox_worker.store.models import (
    AccessEntry,
    AttachmentRecord,
    AuditEntry,
    ErasedTicket,
    OutboxMessage,
    RawBlob,
    RawMessage,
    Ticket,
    TicketEntry,
    TimeEntry,
)
from inbox_worker.store.quarantine import quarantined
from inbox_worker.store.registry_import import import_registry
from inbox_worker.store.search import hits
from tests.conftest import DEMO
from tests.mailbuilder import build_mail
from tests.privacyscan import checksum, traces

NOW = datetime.now(UTC)  # the CLI runs on today's clock: the past is made relative to it
SHARED = b"%PDF-1.4 the same invoice scan, attached to two tickets\n"
PHRASE_C = "kanelsnegle i routeren"
SENT: dict[int, bytes] = {}  # ticket -> the bytes of the mail that opened it


@pytest.fixture
def settings(smtp_settings: Settings) -> Settings:
    """A real SMTP server takes the acknowledgements, so they are sent mail, as old mail is."""
    return smtp_settings


def _ago(months: int = 0, days: int = 0) -> datetime:
    return months_before(NOW, months) - timedelta(days=days)


def _registry(tmp_path: Path) -> Path:
    """The demo registry and a customer whose agreement ended 26 months ago."""
    end = _ago(26).date()
    path = tmp_path / "registry.toml"
    path.write_text((DEMO / "registry.toml").read_text(encoding="utf-8") + f"""
[[customer]]
key = "gammel"
name = "Gammel Kunde ApS"
domains = ["gammel-kunde.dk"]
agreement = "terminated"
agreement_end = {end.isoformat()}
packages = []
language = "da"

[[contact]]
customer = "gammel"
email = "gorm@gammel-kunde.dk"
name = "Gorm Gammel"
language = "da"
""", encoding="utf-8")
    return path


def _close(settings: Settings, engine: Engine, number: int, at: datetime) -> None:
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, number)
        assert ticket is not None
        set_field(session, ticket, "status", "closed", "JH", at, ClockSetup.from_settings(settings))


def _seed(settings: Settings, engine: Engine, tmp_path: Path) -> dict[str, int]:
    with Session(engine) as session, session.begin():
        import_registry(session, _registry(tmp_path))
    runner = Runner(settings, engine)

    def mail(at: datetime, **fields: Any) -> int:
        raw = build_mail(**fields)
        decision = runner.process(raw, "test", now=at)
        SENT[int(decision["ticket"])] = raw
        return int(decision["ticket"])

    tickets = {
        "old": mail(_ago(26), subject="Printeren er gået i stykker", message_id="<old@bageriet-soerensen.dk>",
                    attachment=("faktura.pdf", SHARED)),
        "recent": mail(_ago(days=40), sender="soeren@bageriet-soerensen.dk", name="Søren Ærbø",
                       subject="Samme faktura igen", attachment=("faktura.pdf", SHARED)),
        "ancient": mail(_ago(40), sender="aase@bageriet-soerensen.dk", name="Åse Løkke", subject="Routeren blinker",
                        body=f"Hej\n\nDer sidder {PHRASE_C}, tror jeg.\n\nÅse"),
        "terminated": mail(_ago(27), sender="gorm@gammel-kunde.dk", name="Gorm Gammel", subject="Stadig åben"),
    }
    runner.process(build_mail(subject="Gammel i karantæne", message_id="<q-old@x.dk>"), "test", now=_ago(25),
                   quarantine_reason="for stor")
    runner.process(build_mail(subject="Ny i karantæne", message_id="<q-new@x.dk>"), "test", now=_ago(1),
                   quarantine_reason="for stor")
    _close(settings, engine, tickets["old"], _ago(25))
    _close(settings, engine, tickets["recent"], _ago(1))
    _close(settings, engine, tickets["ancient"], _ago(37))
    with Session(engine) as session, session.begin():
        for years in (4, 6):
            log_time(session, tickets["old"], 60, "JH", {"agreement": 650}, note=f"{years} år siden",
                     coverage="billable", work_date=date(NOW.year - years, 6, 15), now=_ago(25))
        access_log.record(session, "JH", access_log.AccessAction.VIEW, _ago(25), ticket=tickets["old"])
        access_log.record(session, "JH", access_log.AccessAction.VIEW, _ago(1), ticket=tickets["recent"])
    assert flush_outbox(settings, engine, now=_ago(1)).sent == 4
    return tickets


def _snapshot(engine: Engine, ticket: int) -> list[Any]:
    """Everything of one ticket that retention may touch."""
    with Session(engine) as session:
        raw = sorted(session.scalars(select(RawMessage.id).where(RawMessage.ticket_id == ticket)))
        return [
            tuple(session.execute(select(Ticket.subject, Ticket.from_address, Ticket.status)
                            .where(Ticket.id == ticket)).one()),
            sorted(session.execute(select(TicketEntry.id, TicketEntry.body_text)
                                   .where(TicketEntry.ticket_id == ticket)).all()),
            sorted(session.execute(select(RawBlob.raw_message_id, RawBlob.raw).where(RawBlob.raw_message_id.in_(raw))).all()),
            sorted(session.execute(select(AttachmentRecord.id, AttachmentRecord.stored_path)
                                   .where(AttachmentRecord.ticket_id == ticket)).all()),
            sorted(session.execute(select(OutboxMessage.id, OutboxMessage.body)
                                   .where(OutboxMessage.ticket_id == ticket)).all()),
        ]


def _billing(cli: Any, year: int) -> list[dict[str, str]]:
    result = cli("billing", "export", "--quarter", f"{year}-Q2")
    assert result.code == 0, result.err
    return list(csv.DictReader(io.StringIO(result.out)))


def test_retention_takes_what_is_past_each_period_and_nothing_else(
        cli: Any, settings: Settings, engine: Engine, tmp_path: Path) -> None:
    tickets = _seed(settings, engine, tmp_path)
    folder = Path(settings.storage.attachments_dir)
    recent = _snapshot(engine, tickets["recent"])
    four_years = _billing(cli, NOW.year - 4)
    with Session(engine) as session:
        old_files = set(session.scalars(select(AttachmentRecord.stored_path)))
    assert len(old_files) == 1 and all((folder / path).is_file() for path in old_files)  # one file, two tickets
    before = checksum(engine, folder)

    dry = cli("privacy", "retention", "--dry-run")

    assert dry.code == 0, dry.err
    assert checksum(engine, folder) == before
    assert "prøvekørsel, intet er ændret" in dry.out
    assert "3 sager: 3 rå mails, 1 vedhæftet fil (0 filer i mappen) og 3 udgående mails slettes" in dry.out
    assert "1 mail i karantæne uden sag slettes" in dry.out
    assert "1 sag anonymiseres" in dry.out and "1 tidsregistrering og 0 dækningsbeslutninger slettes" in dry.out

    done = cli("privacy", "retention")

    assert done.code == 0, done.err
    assert "3 sager: 3 rå mails, 1 vedhæftet fil (0 filer i mappen) og 3 udgående mails er slettet" in done.out
    with Session(engine) as session:
        for name in ("old", "terminated"):  # closed 25 months ago; open, but its customer left 26 months ago
            raw = list(session.scalars(select(RawMessage.id).where(RawMessage.ticket_id == tickets[name])))
            assert raw and session.scalar(select(func.count()).select_from(RawBlob).where(
                RawBlob.raw_message_id.in_(raw))) == 0  # the bytes are gone, the row (dedupe) stays
            bodies = session.scalars(select(OutboxMessage.body).where(OutboxMessage.ticket_id == tickets[name]))
            assert all(RAW_EXPIRED.encode() in body for body in bodies)
        old = session.get(Ticket, tickets["old"])
        assert old is not None and old.subject == "Printeren er gået i stykker"  # its text stays 36 months
        assert session.scalar(select(func.count()).select_from(AttachmentRecord)
                              .where(AttachmentRecord.ticket_id == tickets["old"])) == 0
        assert sorted(t.note for t in session.scalars(select(TimeEntry))) == ["4 år siden"]  # six years: gone
        ancient = session.get(Ticket, tickets["ancient"])
        assert ancient is not None and (ancient.subject, ancient.from_address) == (EXPIRED, ANONYMOUS)
        assert session.get(ErasedTicket, tickets["ancient"]) is not None  # by the run's record
        assert {e.body_text for e in session.scalars(select(TicketEntry).where(
            TicketEntry.ticket_id == tickets["ancient"], TicketEntry.kind != "event"))} == {EXPIRED}
        assert session.scalar(select(func.count()).select_from(hits(PHRASE_C, engine.dialect.name))) == 0
        assert [q.message_id for q in quarantined(session)] == ["<q-new@x.dk>"]
        assert [e.ticket_id for e in session.scalars(select(AccessEntry))] == [tickets["recent"]]
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "privacy-retention")) == 1
    assert _snapshot(engine, tickets["recent"]) == recent  # closed last month: untouched
    assert all((folder / path).is_file() for path in old_files)  # the recent ticket still has the shared file
    assert traces(engine, folder, [PHRASE_C, "Routeren blinker"]) == []  # the anonymised ticket's text, anywhere
    assert _billing(cli, NOW.year - 4) == four_years  # time entries of four years ago are kept

    again = Runner(settings, engine).process(SENT[tickets["old"]], "test")
    assert again["outcome"] == "duplicate"  # its row still knows the mail: a copy delivered again is no new ticket
    settled = checksum(engine, folder)
    second = cli("privacy", "retention")
    assert "0 sager: 0 rå mails" in second.out and "0 sager er anonymiseret" in second.out
    assert checksum(engine, folder) == settled  # nothing more was due: nothing written
