"""The pipeline end to end on a real database (SQLite, and PostgreSQL when INBOX_TEST_PG_URL is set)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import AttachmentRecord, OutboxMessage, RawBlob, RawMessage, Ticket, TicketEntry
from tests.conftest import DEMO, json_batch, mail_bytes, make_settings
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def ack_of(engine: Engine, ticket: int) -> OutboxMessage:
    with Session(engine) as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket,
                                                         OutboxMessage.kind == "ack"))
        assert row is not None
        return row


def test_a_new_mail_from_a_contact_opens_a_ticket_and_queues_an_ack(settings: Settings, engine: Engine) -> None:
    decision = Runner(settings, engine).process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)

    assert decision["outcome"] == "new_ticket"
    assert decision["customer"] == "bageriet"
    assert decision["contact"] == "lone@bageriet-soerensen.dk"
    assert decision["subject"] == "Printeren på 1. sal virker ikke"
    assert decision["ack"] == "queued"
    assert set(decision) >= {"message_id", "from", "subject", "outcome", "ticket", "customer", "contact",
                             "devices", "category", "priority", "language", "coverage", "ack", "review"}
    ack = ack_of(engine, decision["ticket"])
    assert ack.recipient == "lone@bageriet-soerensen.dk"
    assert ack.subject == f"[MICO #{decision['ticket']}] Printeren på 1. sal virker ikke"
    assert ack.status == "queued"


def test_the_same_maildir_twice_is_all_duplicates(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    inbox = sorted((DEMO / "inbox").glob("*.eml"))
    first = [processor.process(path.read_bytes(), str(path), now=NOW) for path in inbox]
    tickets, outbox, raws = count(engine, Ticket), count(engine, OutboxMessage), count(engine, RawMessage)

    second = [Runner(settings, engine).process(path.read_bytes(), str(path), now=NOW) for path in inbox]

    assert all(d["outcome"] == "duplicate" for d in second)
    assert all(d["ack"] == "none" for d in second)
    assert [d["ticket"] for d in second] == [d["ticket"] for d in first]
    assert (count(engine, Ticket), count(engine, OutboxMessage)) == (tickets, outbox)
    assert count(engine, RawMessage) == raws + len(inbox) and count(engine, RawBlob) == raws
    with Session(engine) as session:  # every fetched copy is recorded; identical bytes are not stored twice
        copies = session.scalars(select(RawMessage).where(RawMessage.state == "duplicate")).all()
        assert len(copies) == len(inbox)
        assert {c.duplicate_of_id for c in copies} == set(session.scalars(
            select(RawMessage.id).where(RawMessage.state == "processed")))
    assert tickets >= 15


def test_a_reply_to_the_ack_updates_the_ticket_without_a_new_ack(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)
    ack = ack_of(engine, first["ticket"])

    reply = build_mail(subject=f"Sv: {ack.subject}", body="Den virker stadig ikke.\n\n> tidligere tekst",
                       in_reply_to=ack.message_id)
    decision = processor.process(reply, "test", now=NOW + timedelta(minutes=30))

    assert decision["outcome"] == "updated_ticket"
    assert decision["ticket"] == first["ticket"]
    assert decision["ack"] == "none"
    assert count(engine, OutboxMessage) == 1
    with Session(engine) as session:
        kinds = session.scalars(select(TicketEntry.kind).where(TicketEntry.ticket_id == first["ticket"])
                                .order_by(TicketEntry.id)).all()
    assert kinds == ["inbound", "outbound", "inbound"]


def test_an_out_of_office_reply_to_the_ack_is_ignored_but_kept_on_the_ticket(
    settings: Settings, engine: Engine
) -> None:
    processor = Runner(settings, engine)
    first = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)
    ack = ack_of(engine, first["ticket"])

    ooo = build_mail(subject=f"Autosvar: {ack.subject}", body="Jeg er på ferie til mandag.",
                     in_reply_to=ack.message_id, headers={"Auto-Submitted": "auto-replied"})
    decision = processor.process(ooo, "test", now=NOW + timedelta(minutes=1))

    assert decision["outcome"] == "ignored"
    assert decision["ack"] == "none"
    assert decision["ticket"] == first["ticket"]
    assert decision["rule"] == "auto-submitted"
    assert count(engine, OutboxMessage) == 1
    with Session(engine) as session:
        ticket = session.get(Ticket, first["ticket"])
        assert ticket is not None and ticket.updated_at == NOW  # an auto-reply is not customer activity
        entries = session.scalar(select(func.count()).select_from(TicketEntry)
                                 .where(TicketEntry.ticket_id == first["ticket"], TicketEntry.kind == "inbound"))
    assert entries == 2


def test_a_subject_tag_threads_even_without_references(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)

    follow_up = build_mail(subject=f"[MICO #{first['ticket']}] lidt mere info", body="Den blinker nu rødt.")
    decision = processor.process(follow_up, "test", now=NOW + timedelta(hours=2))

    assert (decision["outcome"], decision["ticket"]) == ("updated_ticket", first["ticket"])


def test_a_tag_pointing_at_another_customers_ticket_opens_a_new_ticket(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)

    stranger = build_mail(sender="pernille@salon-haarfin.dk", name="Pernille",
                          subject=f"[MICO #{first['ticket']}] hej", body="Printeren i salonen er død.")
    decision = processor.process(stranger, "test", now=NOW)

    assert decision["outcome"] == "new_ticket"
    assert decision["ticket"] != first["ticket"]


def test_a_reply_naming_another_customers_message_id_opens_a_ticket_of_its_own(settings: Settings,
                                                                             engine: Engine) -> None:
    # A Message-ID is known to everyone on Cc: it must not carry a stranger's words onto Lone's ticket.
    processor = Runner(settings, engine)
    first = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)

    stranger = build_mail(sender="pernille@salon-haarfin.dk", name="Pernille", subject="Sv: Printeren",
                          body="Ring til mig om fakturaen.", in_reply_to="<orig-1@bageriet-soerensen.dk>")
    decision = processor.process(stranger, "test", now=NOW + timedelta(hours=1))

    assert decision["outcome"] == "new_ticket"
    assert decision["ticket"] != first["ticket"]
    assert decision["customer"] == "haarfin"
    with Session(engine) as session:
        lone_entries = session.scalar(select(func.count()).select_from(TicketEntry)
                                      .where(TicketEntry.ticket_id == first["ticket"], TicketEntry.kind == "inbound"))
    assert lone_entries == 1


def _close(engine: Engine, number: int, when: datetime) -> None:
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, number)
        assert ticket is not None
        ticket.status, ticket.closed_at = "closed", when


def test_a_reply_within_the_window_reopens_a_closed_ticket(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)
    _close(engine, first["ticket"], NOW + timedelta(days=1))

    reply = build_mail(subject="Sv: Printeren", body="Nu er den gal igen.", in_reply_to="<orig-1@bageriet-soerensen.dk>")
    decision = processor.process(reply, "test", now=NOW + timedelta(days=10))

    assert (decision["outcome"], decision["ticket"], decision["ack"]) == ("reopened_ticket", first["ticket"], "none")
    with Session(engine) as session:
        ticket = session.get(Ticket, first["ticket"])
        assert ticket is not None and ticket.status == "open" and ticket.closed_at is None


def test_a_reply_long_after_closing_opens_a_new_ticket_that_refers_to_the_old(
    settings: Settings, engine: Engine
) -> None:
    processor = Runner(settings, engine)
    first = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)
    _close(engine, first["ticket"], NOW + timedelta(days=1))

    reply = build_mail(subject="Sv: Printeren", body="Samme fejl igen.", in_reply_to="<orig-1@bageriet-soerensen.dk>")
    decision = processor.process(reply, "test", now=NOW + timedelta(days=40))

    assert decision["outcome"] == "new_ticket" and decision["ticket"] != first["ticket"]
    assert decision["ack"] == "queued"
    with Session(engine) as session:
        new = session.get(Ticket, decision["ticket"])
        assert new is not None and new.previous_ticket_id == first["ticket"]


def test_automatic_mail_never_gets_an_ack(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    expected_rules = {
        "auto-reply-auto-submitted.eml": "auto-submitted",
        "auto-reply-x-autoreply.eml": "x-autoreply",
        "auto-reply-precedence-bulk.eml": "precedence-bulk",
        "list-mail-list-id.eml": "precedence-bulk",  # it also says Precedence: list; first match wins
        "bounce-dsn.eml": "bounce-empty-return-path",
        "own-mail-from-support.eml": "own-mail",
    }
    for name, rule in expected_rules.items():
        decision = processor.process(mail_bytes(name), name, now=NOW)
        assert (name, decision["outcome"], decision["ack"]) == (name, "ignored", "none")
        assert decision["rule"] == rule, name
    assert count(engine, OutboxMessage) == 0
    assert count(engine, RawMessage) == len(expected_rules)  # stored, never dropped


def test_broken_mail_is_quarantined_and_the_run_goes_on(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    broken = ["truncated-headers.eml", "truncated-multipart.eml", "binary-garbage.eml", "empty.eml", "no-from.eml"]
    decisions = [processor.process(mail_bytes(name), name, now=NOW) for name in broken]
    after = processor.process(mail_bytes("latin1-8bit.eml"), "ok", now=NOW)

    for name, decision in zip(broken, decisions, strict=True):
        assert decision["outcome"] == "quarantined", name
        assert decision["reason"], name
        assert decision["ack"] == "none"
    assert after["outcome"] == "new_ticket"
    assert count(engine, Ticket) == 1
    with Session(engine) as session:
        states = session.execute(select(RawMessage.outcome, func.count()).group_by(RawMessage.outcome)).all()
    assert dict(states.__iter__()) == {"quarantined": 5, "new_ticket": 1}


def test_an_ack_storm_is_stopped_after_three_acks_within_the_hour(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    decisions = [
        processor.process(build_mail(subject=f"Fejl {i}", body=f"Fejl nummer {i}",
                                     date=f"Fri, 20 Nov 2026 10:{10 + i:02d}:00 +0100"), "test", now=NOW)
        for i in range(5)
    ]

    assert [d["ack"] for d in decisions] == ["queued"] * 3 + ["suppressed"] * 2
    assert decisions[3]["ack_reason"] == "rate-limit"
    assert "ack-rate-limit" in decisions[3]["review"]
    assert all(d["outcome"] == "new_ticket" for d in decisions)  # nothing is lost, only the acks stop


def test_unknown_senders_get_an_ack_and_a_review_flag(settings: Settings, engine: Engine) -> None:
    mail = build_mail(sender="hanne@tegnestuen-fjordlys.dk", name="Hanne", subject="Tilbud på serviceaftale?",
                      body="Hej, kan I give et tilbud på en serviceaftale til vores tegnestue?")
    decision = Runner(settings, engine).process(mail, "test", now=NOW)

    assert decision["customer"] is None and decision["contact"] is None
    assert decision["coverage"]["status"] == "undetermined"
    assert "unknown-sender" in decision["review"]
    assert decision["ack"] == "queued"


def test_an_english_contact_gets_an_english_ack(settings: Settings, engine: Engine) -> None:
    mail = build_mail(sender="mark@bageriet-soerensen.dk", name="Mark Thompson", subject="Webcam broken",
                      body="Hi, my webcam does not work in Teams.")
    decision = Runner(settings, engine).process(mail, "test", now=NOW)

    assert decision["language"] == "en"
    body = ack_of(engine, decision["ticket"]).body.decode()
    assert "Thank you for contacting us" in body and "Tak for din henvendelse" not in body


def test_attachments_are_stored_and_oversized_ones_only_recorded(tmp_path: Path, db_url: str, engine: Engine) -> None:
    settings = make_settings(tmp_path, db_url, storage={"max_attachment_mb": 0.5})
    processor = Runner(settings, engine)
    small = build_mail(subject="Skærmbillede", attachment=("skærm æøå.bin", b"\x89PNG" + b"x" * 1000))
    large = build_mail(subject="Logfil", attachment=("log.bin", b"y" * 700_000))

    processor.process(small, "test", now=NOW)
    processor.process(large, "test", now=NOW)

    with Session(engine) as session:
        records = {r.filename: r for r in session.scalars(select(AttachmentRecord))}
    assert records["skærm æøå.bin"].stored_path is not None
    stored = Path(settings.storage.attachments_dir) / str(records["skærm æøå.bin"].stored_path)
    assert stored.read_bytes() == b"\x89PNG" + b"x" * 1000
    assert records["log.bin"].stored_path is None and records["log.bin"].size == 700_000
    assert "limit" in str(records["log.bin"].skipped_reason)


def test_a_mail_stored_but_not_processed_before_a_crash_is_processed_next_time(
    settings: Settings, engine: Engine
) -> None:
    from inbox_worker.store import raw as raw_store

    raw = mail_bytes("plain-danish-utf8-qp.eml")
    with Session(engine) as session:
        raw_store.store_raw(session, raw, "crashed-run", None, NOW)  # the process died right after this

    decision = Runner(settings, engine).process(raw, "next-run", now=NOW)

    assert decision["outcome"] == "new_ticket" and decision["ack"] == "queued"
    assert count(engine, RawMessage) == 1


def test_an_unexpected_error_quarantines_the_mail_with_its_reason(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)

    def explode(*_: object) -> object:
        raise RuntimeError("template exploded")

    processor.renderer.compose_ack = explode  # type: ignore[method-assign,assignment]
    decision = processor.process(mail_bytes("plain-danish-utf8-qp.eml"), "test", now=NOW)

    assert decision["outcome"] == "quarantined"
    assert "template exploded" in decision["reason"]
    assert count(engine, Ticket) == 0  # the failed transaction left nothing half-written
    # the worker goes on: the next mail (one that needs no ack) is processed normally
    assert processor.process(mail_bytes("auto-reply-x-autoreply.eml"), "test", now=NOW)["outcome"] == "ignored"


def test_one_failing_mail_in_a_batch_is_quarantined_alone(settings: Settings, engine: Engine) -> None:
    from inbox_worker.mail.incoming import IncomingMail

    processor = Runner(settings, engine)
    real_compose = processor.renderer.compose_ack

    def compose(decision: Any, mail: Any, now: Any) -> object:
        if "eksploderer" in (mail.subject or ""):
            raise RuntimeError("template exploded")
        return real_compose(decision, mail, now)

    processor.renderer.compose_ack = compose  # type: ignore[method-assign,assignment]
    batch = [IncomingMail(build_mail(subject=subject, date=f"Fri, 20 Nov 2026 0{i}:00:00 +0100"), "test")
             for i, subject in enumerate(["Første", "Denne eksploderer", "Tredje"])]

    decisions = json_batch(processor, batch, now=NOW)

    assert [d["outcome"] for d in decisions] == ["new_ticket", "quarantined", "new_ticket"]
    assert "template exploded" in decisions[1]["reason"]
    assert count(engine, Ticket) == 2 and count(engine, OutboxMessage) == 2


def test_the_same_mail_twice_in_one_batch_is_one_ticket(settings: Settings, engine: Engine) -> None:
    from inbox_worker.mail.incoming import IncomingMail

    raw = mail_bytes("plain-danish-utf8-qp.eml")
    decisions = json_batch(Runner(settings, engine), [IncomingMail(raw, "a"), IncomingMail(raw, "b")], now=NOW)

    assert [d["outcome"] for d in decisions] == ["new_ticket", "duplicate"]
    assert decisions[1]["ticket"] == decisions[0]["ticket"]
    assert count(engine, Ticket) == 1 and count(engine, OutboxMessage) == 1
