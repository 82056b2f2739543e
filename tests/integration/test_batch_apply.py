"""A batch is applied in one transaction: what earlier mails of it wrote counts for the later ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.incoming import IncomingMail
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import MessageRef, Ticket
from tests.conftest import json_batch
from tests.mailbuilder import build_mail

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def _mail(i: int, **values: str) -> IncomingMail:
    values.setdefault("subject", f"Fejl {i}")
    return IncomingMail(build_mail(body=f"Fejl nummer {i}", date=f"Fri, 20 Nov 2026 10:{10 + i:02d}:00 +0100",
                                   **values), "test")


def test_the_ack_limit_counts_acks_of_earlier_batches_and_of_the_same_batch(settings: Settings,
                                                                            engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = json_batch(processor, [_mail(0), _mail(1)], now=NOW)
    second = json_batch(processor, [_mail(2), _mail(3), _mail(4)], now=NOW + timedelta(minutes=5))

    assert [d["ack"] for d in first + second] == ["queued"] * 3 + ["suppressed"] * 2
    assert all(d["ack_reason"] == "rate-limit" for d in second[1:])


def test_acks_from_more_than_an_hour_ago_do_not_count(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    json_batch(processor, [_mail(0), _mail(1), _mail(2)], now=NOW)
    later = json_batch(processor, [_mail(i) for i in range(3, 7)], now=NOW + timedelta(hours=2))

    assert [d["ack"] for d in later] == ["queued"] * 3 + ["suppressed"]  # the same batch's acks do count


def test_a_reply_threads_onto_the_ticket_its_original_opened_earlier_in_the_same_batch(
    settings: Settings, engine: Engine
) -> None:
    processor = Runner(settings, engine)
    batch = [_mail(0, message_id="<a@bageriet-soerensen.dk>"),
             _mail(1, subject="Printer", message_id="<b@bageriet-soerensen.dk>"),
             _mail(2, subject="Sv: Fejl 0", in_reply_to="<a@bageriet-soerensen.dk>")]

    decisions = json_batch(processor, batch, now=NOW)

    assert [d["outcome"] for d in decisions] == ["new_ticket", "new_ticket", "updated_ticket"]
    assert decisions[2]["ticket"] == decisions[0]["ticket"]
    with Session(engine) as session:
        refs = {ref.message_id: ref.ticket_id
                for ref in session.scalars(select(MessageRef).where(MessageRef.direction == "in"))}
    assert refs == {"<a@bageriet-soerensen.dk>": decisions[0]["ticket"],
                    "<b@bageriet-soerensen.dk>": decisions[1]["ticket"],
                    decisions[2]["message_id"]: decisions[0]["ticket"]}


def test_a_customer_reply_to_a_ticket_waiting_for_them_opens_it_again(settings: Settings, engine: Engine) -> None:
    processor = Runner(settings, engine)
    first = json_batch(processor, [_mail(0, message_id="<a@bageriet-soerensen.dk>"), _mail(1)], now=NOW)
    with Session(engine) as session, session.begin():
        for ticket in session.scalars(select(Ticket)):
            ticket.status = "waiting"

    later = NOW + timedelta(hours=3)
    reply = json_batch(processor, [_mail(2, subject="Sv: Fejl 0", in_reply_to="<a@bageriet-soerensen.dk>")],
                                    now=later)

    assert (reply[0]["outcome"], reply[0]["ticket"]) == ("updated_ticket", first[0]["ticket"])
    with Session(engine) as session:
        tickets = {t.id: t for t in session.scalars(select(Ticket))}
    answered, other = tickets[first[0]["ticket"]], tickets[first[1]["ticket"]]
    assert (answered.status, answered.updated_at) == ("open", later)
    assert (other.status, other.updated_at) == ("waiting", NOW)


def test_service_visits_earlier_in_the_same_batch_count(settings: Settings, engine: Engine) -> None:
    """Two visits a year are covered; the third, even in the same batch as the first two, is billable."""
    def visit(i: int) -> IncomingMail:
        return IncomingMail(build_mail(subject=f"Servicebesøg {i}", body=f"Kan I komme på servicebesøg uge {i}?",
                                       date=f"Fri, 20 Nov 2026 10:{10 + i:02d}:00 +0100",
                                       message_id=f"<visit-{i}@bageriet-soerensen.dk>"), "test")

    processor = Runner(settings, engine)
    first = json_batch(processor, [visit(1)], now=NOW)
    batch = json_batch(processor, [visit(2), visit(3)], now=NOW + timedelta(minutes=5))

    assert [d["category"] for d in first + batch] == ["visit"] * 3
    assert [d["coverage"]["rule"] for d in first + batch] == [
        "service-visit-included", "service-visit-included", "service-visit-extra"]
