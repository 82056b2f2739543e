"""Edge cases of the copy and duplicate rules (store/raw.py) and of the prepared batch (mail/runner.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import OutboxMessage, RawMessage, Ticket
from tests.conftest import FIXTURES
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COPIES = FIXTURES / "mail" / "copies"


def _copy(name: str) -> bytes:
    return (COPIES / name).read_bytes()


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _raws(engine: Engine) -> list[RawMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(RawMessage).order_by(RawMessage.id)))


def test_two_copies_of_a_mail_a_crashed_run_stored_make_one_ticket(settings: Settings, engine: Engine) -> None:
    """A run stores a mail and dies before processing it; the mailbox holds it twice (a second delivery).

    The next run fetches both copies in one batch: both are 'redo' of the same stored row. They must
    make one ticket and one ack, as two copies of a new mail in one batch do (duplicate_of).
    """
    crashed = Runner(settings, engine)
    crashed.store([IncomingMail(_copy("original.eml"), "imap:INBOX", 1)], NOW)  # stored, never applied

    runner = Runner(settings, engine)
    decisions = runner.process_batch([IncomingMail(_copy("original.eml"), "imap:INBOX", 1),
                                      IncomingMail(_copy("redelivered-other-route.eml"), "imap:INBOX", 2)],
                                     NOW + timedelta(minutes=5))

    assert (_count(engine, Ticket), _count(engine, OutboxMessage)) == (1, 1), "one mail, two tickets and acks"
    assert [str(d.outcome) for d in decisions] == ["new_ticket", "duplicate"]


def test_a_stored_but_unprocessed_mail_that_reuses_a_message_id_is_flagged_when_redone(
        settings: Settings, engine: Engine, cli: Any, tmp_path: Any) -> None:
    """A mail reusing a Message-ID is stored by a run that crashes before processing it.

    The next run processes the stored row ('redo'): it must carry the same `message-id-reused` flag
    as when processed straight away, and as `explain` says it would.
    """
    runner = Runner(settings, engine)
    runner.process(_copy("original.eml"), "imap:INBOX", now=NOW)
    runner.store([IncomingMail(_copy("reused-message-id.eml"), "imap:INBOX", 2)], NOW + timedelta(days=3))

    path = tmp_path / "reused.eml"
    path.write_bytes(_copy("reused-message-id.eml"))
    import json

    explained = json.loads(cli("explain", str(path)).out)
    assert "message-id-reused" in explained["review"]  # explain sees the earlier copy

    redone = Runner(settings, engine).process(_copy("reused-message-id.eml"), "imap:INBOX",
                                              now=NOW + timedelta(days=3, minutes=1))
    assert redone["outcome"] == "new_ticket"
    assert "message-id-reused" in redone["review"], redone["review"]


def test_contrast_a_different_mail_reusing_a_message_id_in_separate_runs_is_flagged(settings: Settings,
                                                                             engine: Engine) -> None:
    """Two different mails with one Message-ID: one batch must flag the second as separate runs do."""
    apart = Runner(settings, engine)
    apart.process(_copy("original.eml"), "imap:INBOX", now=NOW)
    separately = apart.process(_copy("reused-message-id.eml"), "imap:INBOX", now=NOW + timedelta(minutes=1))
    assert "message-id-reused" in separately["review"]


def test_a_different_mail_reusing_a_message_id_in_one_batch_is_flagged(settings: Settings, engine: Engine) -> None:
    together = Runner(settings, engine).process_batch(
        [IncomingMail(_copy("original.eml"), "imap:INBOX", 1),
         IncomingMail(_copy("reused-message-id.eml"), "imap:INBOX", 2)], NOW)
    assert [str(d.outcome) for d in together] == ["new_ticket", "new_ticket"]
    assert "message-id-reused" in together[1].review, together[1].review


def _no_blank_line(body: str) -> bytes:
    """A mail from a script that writes the text straight after the headers (no empty line)."""
    return ("From: Lone <lone@bageriet-soerensen.dk>\r\nTo: support@mico.dk\r\n"
            "Subject: Status fra kassesystemet\r\nDate: Mon, 23 Nov 2026 08:14:00 +0100\r\n"
            "Message-ID: <status@kasse.bageriet-soerensen.dk>\r\n" + body + "\r\n").encode()


def test_two_mails_without_a_blank_line_are_two_mails(settings: Settings, engine: Engine) -> None:
    """Without an empty line all of a mail's text is its content: a second one with another text but the
    same Message-ID, From, Date and Subject is not a copy of the first (neither a duplicate of it nor,
    had the first been quarantined, a complete copy that supersedes it); it reuses the Message-ID."""
    runner = Runner(settings, engine)
    first = runner.process(_no_blank_line("Printeren paa kontoret virker ikke."), "imap:INBOX", now=NOW)
    second = runner.process(_no_blank_line("Serveren er helt nede, intet virker!"), "imap:INBOX",
                            now=NOW + timedelta(minutes=1))
    assert second["outcome"] == first["outcome"] != "duplicate"
    assert "message-id-reused" in second["review"]
    states = [r.state for r in _raws(engine)]
    assert states == ["processed", "processed"], states


def _long_thread_mail() -> bytes:
    """A mail whose header block passes 64 KiB (a very long References chain), Message-ID near the top."""
    refs = " ".join(f"<thread-{i:05d}-abcdefghij@bageriet-soerensen.dk>" for i in range(1500))
    return build_mail(message_id="<big-refs@bageriet-soerensen.dk>", headers={"References": refs},
                      subject="Printeren virker stadig ikke")


def test_a_second_delivery_of_a_mail_with_over_64k_of_headers_is_a_duplicate(settings: Settings,
                                                                            engine: Engine) -> None:
    """The second delivery only adds a Received line on top. store/raw._header_end caps the header block
    at 64 KiB and _body_bounds then starts the 'body' at byte 65536 of the raw mail, so any header a
    server adds shifts what is hashed: the copy gets another fingerprint and is processed as a new mail
    reusing the Message-ID (a second ticket, a second ack)."""
    mail = _long_thread_mail()
    copy = b"Received: from mx2.bageriet-soerensen.dk by mx.mico.dk; Mon, 23 Nov 2026 08:14:05 +0100\r\n" + mail
    runner = Runner(settings, engine)
    first = runner.process(mail, "imap:INBOX", 1, now=NOW)
    again = runner.process(copy, "imap:INBOX", 2, now=NOW + timedelta(minutes=5))
    assert first["outcome"] == "new_ticket", first
    assert again["outcome"] == "duplicate", again
    assert (_count(engine, Ticket), _count(engine, OutboxMessage)) == (1, 1)


def test_every_fetched_copy_is_stored_also_when_both_arrive_in_one_batch(settings: Settings,
                                                                         engine: Engine) -> None:
    """'Every fetched copy gets a row' (store/raw.py): across batches the second delivery gets a
    `duplicate` row with its own bytes; in one batch it gets none (StoredRaw(-1, ..., duplicate_of))."""
    decisions = Runner(settings, engine).process_batch(
        [IncomingMail(_copy("original.eml"), "imap:INBOX", 1),
         IncomingMail(_copy("redelivered-other-route.eml"), "imap:INBOX", 2)], NOW)
    assert [str(d.outcome) for d in decisions] == ["new_ticket", "duplicate"]
    assert [(r.state, r.source_uid) for r in _raws(engine)] == [("processed", 1), ("duplicate", 2)]
