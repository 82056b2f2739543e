"""After a mail joined its ticket: raise the ticket when the mail is more urgent, and call on-call.

In the caller's transaction. A follow-up that says "now the server is down" makes the ticket an
emergency (review flags added, the queue's sort columns refreshed), and a ticket that becomes an
emergency gets its one on-call notice: the `oncall_notices` row (one per ticket) and the outbox row
are written together, so the notice is neither lost nor doubled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from inbox_worker.domain.types import Outcome, RegistrySnapshot, WorkItem
from inbox_worker.domain.vocabulary import PRIORITIES
from inbox_worker.mail.decide.oncall import decide_oncall
from inbox_worker.store.apply import OutgoingMail, PendingRows, queue_mail
from inbox_worker.store.models import Base
from inbox_worker.store.triage import sort_columns

_TICKET, _NOTICES = Base.metadata.tables["tickets"], Base.metadata.tables["oncall_notices"]
_TICKET_NOW = select(_TICKET.c.priority, _TICKET.c.review, _TICKET.c.coverage).where(
    _TICKET.c.id == bindparam("ticket"))
_RAISE = update(_TICKET).where(_TICKET.c.id == bindparam("ticket"))
_NOTICED = select(_NOTICES.c.ticket_id).where(_NOTICES.c.ticket_id == bindparam("ticket"))
_ADD_NOTICE = insert(_NOTICES)
URGENT = ("emergency", "high")  # only these can raise a ticket; everything else leaves it as it is


def raise_ticket(connection: Connection, ticket: int, item: WorkItem) -> None:
    """A follow-up more urgent than its ticket raises the ticket's priority and adds its review flags."""
    classification = item.classification
    if item.outcome == Outcome.NEW_TICKET or classification is None or classification.priority not in URGENT:
        return
    row = connection.execute(_TICKET_NOW, {"ticket": ticket}).first()
    if row is None or PRIORITIES.index(classification.priority) >= PRIORITIES.index(row.priority):
        return
    review = [*row.review, *(flag for flag in item.review if flag not in row.review)]
    connection.execute(_RAISE, {"ticket": ticket, "priority": classification.priority, "review": review,
                                **sort_columns(review, classification.priority, row.coverage)})
    item.trace.add("escalate", "ticket-raised", classification.priority,
                   f"Sagen er løftet fra {row.priority} til {classification.priority} af den nye mail")


def call_oncall(connection: Connection, rows: PendingRows, ticket: int, item: WorkItem, now: datetime,
                registry: RegistrySnapshot, oncall_address: str, staff_address: str,
                compose: Callable[[int, WorkItem, str], OutgoingMail]) -> None:
    if item.classification is None or item.classification.priority != "emergency":
        return
    notified = connection.execute(_NOTICED, {"ticket": ticket}).first() is not None
    decision = decide_oncall(item, notified, oncall_address, staff_address, registry, item.trace)
    if decision is None:
        return
    outbox_id = queue_mail(connection, compose(ticket, item, decision.recipient), ticket, None, now, rows)
    connection.execute(_ADD_NOTICE, {"ticket_id": ticket, "outbox_id": outbox_id, "recipient": decision.recipient,
                                     "outside_hours": decision.outside_hours, "created_at": now})
