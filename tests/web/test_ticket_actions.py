"""Staff actions on a ticket: each changes what it says, is audited, and needs the CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.mail.runner import Runner
from inbox_worker.store.models import Contact, Device, OutboxMessage, TicketDevice, TicketEntry
from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, ticket_row

Post = Callable[..., Any]



def test_a_post_without_the_csrf_token_is_rejected_and_changes_nothing(client: FlaskClient, engine: Engine,
                                                                        ticket: int) -> None:
    for data in ({"field": "status", "value": "closed"},
                 {"field": "status", "value": "closed", "csrf_token": "forfalsket"}):
        response = client.post(f"/tickets/{ticket}/set", data=data)
        assert response.status_code == 400
        assert "CSRF" in response.get_data(as_text=True)
    assert ticket_row(engine, ticket).status == "open"
    assert audit_actions(engine, ticket) == []


def test_status_priority_and_category_change_and_are_audited(post: Post, engine: Engine, ticket: int) -> None:
    post(f"/tickets/{ticket}/set", field="priority", value="emergency")
    post(f"/tickets/{ticket}/set", field="category", value="network")  # the rules said printer
    post(f"/tickets/{ticket}/set", field="status", value="closed")
    changed = ticket_row(engine, ticket)
    assert (changed.priority, changed.category, changed.status) == ("emergency", "network", "closed")
    assert changed.closed_at is not None and changed.look_rank == 0  # an emergency needs a look first
    assert audit_actions(engine, ticket) == ["set-priority", "set-category", "set-status"]


def test_a_value_outside_the_allowed_ones_is_refused(post: Post, client: FlaskClient, engine: Engine,
                                                     ticket: int) -> None:
    response = post(f"/tickets/{ticket}/set", field="priority", value="<b>kritisk</b>")
    assert response.status_code == 302
    assert "Ugyldig værdi" in client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert ticket_row(engine, ticket).priority == "normal" and audit_actions(engine, ticket) == []


def test_linking_an_unknown_sender_adds_the_address_as_an_alias(post: Post, ingest: Callable[[bytes], Any],
                                                                 engine: Engine, settings: Settings) -> None:
    number = ingest(build_mail(sender="lone.privat@hotmail.com"))["ticket"]
    assert ticket_row(engine, number).review == ["unknown-sender"]
    post(f"/tickets/{number}/link-customer", customer="bageriet", contact="lone@bageriet-soerensen.dk", alias="1")
    linked = ticket_row(engine, number)
    assert linked.contact_email == "lone@bageriet-soerensen.dk" and linked.review == [] and linked.look_rank == 9
    assert linked.assignee == "JH"  # the customer's account manager
    with Session(engine) as session:
        aliases = session.scalar(select(Contact.aliases).where(Contact.email == "lone@bageriet-soerensen.dk"))
    assert "lone.privat@hotmail.com" in (aliases or [])
    assert audit_actions(engine, number) == ["link-customer"]
    # The next mail from that address links by itself (the worker reloads the registry every cycle).
    decision = Runner(settings, engine).process(build_mail(sender="lone.privat@hotmail.com", subject="Igen"), "t")
    assert (decision["customer"], decision["contact"]) == ("bageriet", "lone@bageriet-soerensen.dk")


def test_a_contact_of_another_customer_is_refused(post: Post, ingest: Callable[[bytes], Any], engine: Engine) -> None:
    number = ingest(build_mail(sender="x@hotmail.com"))["ticket"]
    post(f"/tickets/{number}/link-customer", customer="bageriet", contact="mette@tandlaegerne-aaen.dk")
    assert ticket_row(engine, number).customer_id is None


def _device_tags(engine: Engine, number: int) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(Device.tag).join(TicketDevice, TicketDevice.device_id == Device.id)
                                      .where(TicketDevice.ticket_id == number)))


def test_devices_link_and_unlink_but_only_the_customers_own(post: Post, engine: Engine, ticket: int) -> None:
    assert _device_tags(engine, ticket) == ["BAG-PRN-01"]  # the rules linked the bakery's only printer
    post(f"/tickets/{ticket}/devices", op="link", device="BAG-PC-02")
    post(f"/tickets/{ticket}/devices", op="link", device="TAN-PC-01")  # another customer's
    assert _device_tags(engine, ticket) == ["BAG-PC-02", "BAG-PRN-01"]
    post(f"/tickets/{ticket}/devices", op="unlink", device="BAG-PRN-01")
    assert _device_tags(engine, ticket) == ["BAG-PC-02"]
    assert audit_actions(engine, ticket) == ["link-device", "unlink-device"]


def test_assign_note_and_reviewed(post: Post, client: FlaskClient, engine: Engine, ticket: int) -> None:
    post(f"/tickets/{ticket}/assign", assignee="KB")
    post(f"/tickets/{ticket}/assign", assignee="ZZ")  # no such staff member: refused
    post(f"/tickets/{ticket}/note", text="Ringede til Lone <b>kl. 10</b>")
    post(f"/tickets/{ticket}/reviewed")
    assert ticket_row(engine, ticket).assignee == "KB"
    page = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "Ringede til Lone &lt;b&gt;kl. 10&lt;/b&gt;" in page
    assert audit_actions(engine, ticket) == ["assign", "note", "reviewed"]


def test_a_reply_goes_through_the_outbox_threaded_with_the_ticket_tag(post: Post, engine: Engine,
                                                                     ingest: Callable[[bytes], Any]) -> None:
    mail = build_mail(message_id="<printer-1@bageriet-soerensen.dk>")
    number = ingest(mail)["ticket"]
    post(f"/tickets/{number}/reply", body="Hej Lone\n\nVi kommer forbi i morgen kl. 9.", then="waiting")
    with Session(engine) as session:
        reply = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reply"))
        entry = session.scalar(select(TicketEntry).where(TicketEntry.outbox_id == reply.id)) if reply else None
    assert reply is not None and entry is not None
    assert reply.subject == f"[MICO #{number}] Printeren virker ikke"
    assert reply.recipient == "lone@bageriet-soerensen.dk" and reply.status == "queued"
    sent = message_from_bytes(reply.body, policy=policy.default)
    assert sent["In-Reply-To"] == "<printer-1@bageriet-soerensen.dk>"
    assert "<printer-1@bageriet-soerensen.dk>" in sent["References"]
    text = sent.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Vi kommer forbi i morgen kl. 9." in text and "Jens Hansen" in text
    assert (entry.author, entry.kind) == ("JH", "outbound") and "Vi kommer forbi" in entry.body_text
    assert ticket_row(engine, number).status == "waiting"
    assert audit_actions(engine, number) == ["reply", "set-status"]
    # The customer's answer to it threads onto the same ticket.
    answer = build_mail(subject=f"Re: {reply.subject}", in_reply_to=reply.message_id)
    assert ingest(answer)["ticket"] == number


def test_merge_moves_the_thread_and_closes_the_merged_ticket(post: Post, client: FlaskClient, engine: Engine,
                                                            ingest: Callable[[bytes], Any]) -> None:
    target = ingest(build_mail(subject="Printeren virker ikke"))["ticket"]
    source = ingest(build_mail(subject="Printeren igen"))["ticket"]
    post(f"/tickets/{source}/merge", target=f"#{target}")
    merged = ticket_row(engine, source)
    assert merged.merged_into_id == target and merged.status == "closed"
    with Session(engine) as session:
        kinds = session.scalars(select(TicketEntry.kind).where(TicketEntry.ticket_id == target)).all()
    assert sorted(kinds) == ["event", "inbound", "inbound", "outbound", "outbound"]  # both mails and acks
    assert f"#{source}<" not in client.get("/").get_data(as_text=True)  # closed: not in the open queue
    post(f"/tickets/{target}/merge", target=str(target))  # into itself: refused
    assert ticket_row(engine, target).merged_into_id is None
    assert audit_actions(engine, source) == ["merge"] and audit_actions(engine, target) == ["merged-in"]
