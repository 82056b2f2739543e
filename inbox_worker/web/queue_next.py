"""The ticket after this one in the triage queue, for "Gem og næste" on the ticket page.

The order is the queue's default (features/queue/triage.py: needing a look first, then priority, then
age, then number) over the open tickets. The ticket's place is read before the save: closing it or
raising its priority must not make "næste" jump back or skip.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from inbox_worker.features.queue.triage import TRIAGE_ORDER as _ORDER
from inbox_worker.features.queue.triage import QueueFilter
from inbox_worker.store.models import Ticket

_QUEUE_STATUS = QueueFilter().status


def place_in_queue(session: Session, number: int) -> tuple[Any, ...] | None:
    row = session.execute(select(*_ORDER).where(Ticket.id == number)).first()
    return tuple(row) if row is not None else None


def next_in_queue(session: Session, place: tuple[Any, ...] | None, number: int) -> int | None:
    """The first open ticket after `place` in the queue's order (None: this was the last)."""
    query = select(Ticket.id).where(Ticket.status == _QUEUE_STATUS, Ticket.id != number)
    if place is not None:
        query = query.where(tuple_(*_ORDER) > tuple_(*place))
    return session.scalar(query.order_by(*_ORDER).limit(1))
