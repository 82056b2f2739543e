"""Every fetched copy is kept; a duplicate is the same mail, not merely the same Message-ID (issue 12, items 2, 4).

The same mail delivered twice (other transport headers, other line ends) is a duplicate; a different
mail that reuses a Message-ID is processed and flagged; a complete copy supersedes a quarantined
truncated one; a mail quarantined by a fault is processed when it comes again. And the ack limit
counts by when mail arrived, never by the Date header a sender writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage, RawBlob, RawMessage, Ticket
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COPIES = FIXTURES / "mail" / "copies"


def _copy(name: str) -> bytes:
    return (COPIES / name).read_bytes()


def _raws(engine: Engine) -> list[RawMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(RawMessage).order_by(RawMessage.id)))


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_second_delivery_of_the_same_mail_is_a_duplicate_and_its_bytes_are_kept(settings: Settings,
                                                                                   engine: Engine) -> None:
    runner = Runner(settings, engine)
    first = runner.process(_copy("original.eml"), "imap:INBOX", now=NOW)
    again = runner.process(_copy("redelivered-other-route.eml"), "imap:INBOX", now=NOW + timedelta(minutes=5))

    assert first["outcome"] == "new_ticket" and again["outcome"] == "duplicate"
    assert again["ticket"] == first["ticket"] and again["ack"] == "none"
    assert (_count(engine, Ticket), _count(engine, OutboxMessage)) == (1, 1)
    original, copy = _raws(engine)
    assert (copy.state, copy.duplicate_of_id) == ("duplicate", original.id)
    assert _count(engine, RawBlob) == 2  # the copy's bytes differ (headers, CRLF): both are stored


def test_a_different_mail_that_reuses_a_message_id_is_processed_and_flagged(settings: Settings,
                                                                             engine: Engine) -> None:
    runner = Runner(settings, engine)
    first = runner.process(_copy("original.eml"), "imap:INBOX", now=NOW)
    reused = runner.process(_copy("reused-message-id.eml"), "imap:INBOX", now=NOW + timedelta(days=3))

    assert reused["outcome"] == "new_ticket" and reused["ticket"] != first["ticket"]
    assert reused["subject"] == "Ny medarbejder skal have en konto"
    assert "message-id-reused" in reused["review"] and "message-id-reused" not in first["review"]
    assert reused["ack"] == "queued"
    with Session(engine) as session:
        ticket = session.get(Ticket, reused["ticket"])
        assert ticket is not None and "message-id-reused" in ticket.review
    assert [r.state for r in _raws(engine)] == ["processed", "processed"] and _count(engine, RawBlob) == 2


def test_a_complete_copy_supersedes_a_quarantined_truncated_one(settings: Settings, engine: Engine) -> None:
    runner = Runner(settings, engine)
    cut = runner.process(_copy("truncated-copy.eml"), "imap:INBOX", now=NOW)
    whole = runner.process(_copy("original.eml"), "imap:INBOX", now=NOW + timedelta(minutes=2))
    again = runner.process(_copy("redelivered-other-route.eml"), "imap:INBOX", now=NOW + timedelta(minutes=4))

    assert cut["outcome"] == "quarantined"
    assert whole["outcome"] == "new_ticket" and whole["ack"] == "queued"
    assert "complete-copy-supersedes" in {entry["rule"] for entry in _trace(engine, 2)}
    assert "message-id-reused" not in whole["review"]
    assert again["outcome"] == "duplicate" and again["ticket"] == whole["ticket"]
    truncated, complete, copy = _raws(engine)
    assert (truncated.state, truncated.superseded_by_id, truncated.identity) == ("superseded", complete.id, None)
    assert (complete.state, copy.state, copy.duplicate_of_id) == ("processed", "duplicate", complete.id)


def test_a_mail_quarantined_by_a_fault_is_processed_when_it_comes_again(settings: Settings, engine: Engine,
                                                                        tmp_path: Path) -> None:
    attachments = Path(settings.storage.attachments_dir)
    attachments.parent.mkdir(parents=True, exist_ok=True)
    attachments.write_text("a file where the attachments folder should be")  # the folder cannot be written
    failed = Runner(settings, engine).process(_copy("original.eml"), "imap:INBOX", now=NOW)
    assert failed["outcome"] == "quarantined"

    attachments.unlink()  # the cause is fixed; the mail is fetched again (e.g. re-ingested)
    runner = Runner(settings, engine)
    done = runner.process(_copy("original.eml"), "imap:INBOX", now=NOW + timedelta(minutes=10))
    again = runner.process(_copy("original.eml"), "imap:INBOX", now=NOW + timedelta(minutes=11))

    assert done["outcome"] == "new_ticket" and done["ack"] == "queued"
    assert again["outcome"] == "duplicate"
    assert (_count(engine, Ticket), _count(engine, OutboxMessage)) == (1, 1)
    assert [r.state for r in _raws(engine)] == ["superseded", "processed", "duplicate"]


def test_the_ack_limit_counts_by_arrival_not_by_the_date_the_sender_wrote(settings: Settings,
                                                                          engine: Engine) -> None:
    """Six mails dated hours apart, in the future and in 1970, arriving within one hour: three acks, not six."""
    mails = sorted((FIXTURES / "mail" / "ack-limit").glob("forged-date-*.eml"))
    runner = Runner(settings, engine)
    batch = [IncomingMail(path.read_bytes(), str(path), arrived_at=NOW + timedelta(minutes=i))
             for i, path in enumerate(mails)]
    decisions = runner.process_batch(batch, NOW + timedelta(minutes=10))

    assert [d.outcome for d in decisions] == ["new_ticket"] * 6
    assert [str(d.ack) for d in decisions] == ["queued"] * 3 + ["suppressed"] * 3
    assert all("ack-rate-limit" in d.review for d in decisions[3:])
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.recipient == "victim@example.org")) == 3


def test_mail_that_arrived_hours_apart_is_no_storm_whatever_its_dates_say(settings: Settings,
                                                                          engine: Engine) -> None:
    """A backlog after downtime: arrivals two hours apart, processed together now: every one is acknowledged."""
    mails = sorted((FIXTURES / "mail" / "ack-limit").glob("forged-date-*.eml"))
    runner = Runner(settings, engine)
    batch = [IncomingMail(path.read_bytes(), str(path), arrived_at=NOW - timedelta(hours=2 * i))
             for i, path in enumerate(mails)]
    decisions = runner.process_batch(batch, NOW)

    assert [str(d.ack) for d in decisions] == ["queued"] * 6


def _trace(engine: Engine, raw_id: int) -> list[dict[str, str]]:
    from inbox_worker.store.models import DecisionLog

    with Session(engine) as session:
        return list(session.scalars(select(DecisionLog.trace).where(DecisionLog.raw_message_id == raw_id)).one())


def test_imap_arrival_is_the_servers_internaldate_and_the_ack_limit_follows_it(imap_settings: Settings,
                                                                               engine: Engine, dovecot: Any) -> None:
    """Through a real Dovecot: the forged Date headers do not count, the server's INTERNALDATE does."""
    from inbox_worker.mail.worker import MailboxWorker

    mails = sorted((FIXTURES / "mail" / "ack-limit").glob("forged-date-*.eml"))
    now = datetime.now(UTC).replace(microsecond=0)
    arrivals = [now - timedelta(minutes=50 - i) for i in range(len(mails))]  # all within the last hour
    dovecot.append([path.read_bytes() for path in mails], arrived=arrivals)
    worker = MailboxWorker(imap_settings, engine, parallel=False)
    try:
        assert worker.run_once().processed == 6
    finally:
        worker.close()

    stored = sorted(_raws(engine), key=lambda r: r.arrived_at or now)
    assert [r.arrived_at for r in stored] == arrivals
    with Session(engine) as session:
        acks = session.scalars(select(OutboxMessage.trigger_date).where(OutboxMessage.kind == "ack")
                               .order_by(OutboxMessage.trigger_date)).all()
    assert acks == arrivals[:3]


def test_explain_says_what_storing_the_copy_would_find(settings: Settings, engine: Engine, cli: Any) -> None:
    """explain equals what happens: a reused Message-ID is flagged, a copy of a handled mail is a duplicate."""
    Runner(settings, engine).process(_copy("original.eml"), "imap:INBOX", now=NOW)

    reused = cli("explain", str(COPIES / "reused-message-id.eml"))
    copy = cli("explain", str(COPIES / "redelivered-other-route.eml"))

    assert reused.code == 0 and copy.code == 0, reused.err + copy.err
    import json

    explained = json.loads(reused.out)
    assert explained["outcome"] == "new_ticket" and "message-id-reused" in explained["review"]
    assert "message-id-reused" in {entry["rule"] for entry in explained["trace"]}
    assert json.loads(copy.out)["outcome"] == "duplicate"
