"""A staff reply to a ticket's customer, queued in the outbox: `[MICO #N]` subject, threaded on the ticket's mail.

The first reply is the ticket's first response (its response-time clock); the acknowledgement never is.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.addresses import is_safe_address
from inbox_worker.domain.response_clock import ClockChange
from inbox_worker.domain.ticket_tag import ticket_subject
from inbox_worker.domain.vocabulary import LANGUAGES
from inbox_worker.features.tickets.clocks import answered
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.apply import PendingRows, queue_mail
from inbox_worker.store.models import MessageRef, RawMessage, Ticket, TicketEntry


def _thread_ids(session: Session, ticket: int) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References): the newest customer mail of the ticket, and the ticket's last 20 ids."""
    newest = session.scalar(select(RawMessage.message_id).join(TicketEntry, TicketEntry.raw_message_id == RawMessage.id)
                            .where(TicketEntry.ticket_id == ticket, TicketEntry.kind == "inbound",
                                   RawMessage.message_id.is_not(None))
                            .order_by(TicketEntry.created_at.desc(), TicketEntry.id.desc()).limit(1))
    known = list(session.scalars(select(MessageRef.message_id).where(MessageRef.ticket_id == ticket)))
    references = [ref for ref in known if ref != newest][-19:] + ([newest] if newest else [])
    return newest, references


class QueuedReply(NamedTuple):
    outbox_id: int
    clock: ClockChange | None  # the first response it met, when it is the first reply


def recipient_of(ticket: Ticket) -> str | None:
    address = ticket.contact_email or ticket.from_address
    return address if address and is_safe_address(address) else None


def queue_reply(session: Session, renderer: Renderer, ticket: Ticket, body: str, staff_initials: str,
                staff_name: str, now: datetime) -> QueuedReply:
    """Render and queue the reply; its thread entry carries the text and the staff member."""
    recipient = recipient_of(ticket)
    if recipient is None:
        raise ValueError("the ticket has no address to reply to")
    in_reply_to, references = _thread_ids(session, ticket.id)
    headers = {"X-MICO-Ticket": str(ticket.id)}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    language = ticket.language if ticket.language in LANGUAGES else "da"
    context = {"now": now, "ticket": ticket.id, "body": body, "staff_name": staff_name or staff_initials}
    outgoing = renderer.compose("reply", recipient, ticket_subject(ticket.id, ticket.subject, language),
                                 "reply/reply", language, context, headers)
    rows = PendingRows()
    outbox_id = queue_mail(session.connection(), outgoing, ticket.id, None, now, rows)
    for entry in rows.entries:  # the thread shows who wrote the reply and what it said
        entry.update(author=staff_initials, body_text=body)
    rows.flush(session.connection())
    return QueuedReply(outbox_id, answered(session, ticket, staff_initials, now))
