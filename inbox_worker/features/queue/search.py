"""The queue's search box: a ticket number jumps to that ticket, anything else is a ranked full-text search.

The index, and why it is kept by triggers, is store/search.py's; this says what a typed query means.
"""

from __future__ import annotations

import re

from sqlalchemy import Subquery, select
from sqlalchemy.orm import Session

from inbox_worker.store import search
from inbox_worker.store.models import Ticket

_NUMBER = re.compile(r"^#?(\d{1,9})$")


def ticket_named(session: Session, query: str) -> int | None:
    """The ticket `query` names ("#123" or "123") when that ticket exists; a number that is no ticket is
    searched for as text (a serial, a phone number)."""
    number = _NUMBER.match(query.strip())
    if number is None:
        return None
    return session.scalar(select(Ticket.id).where(Ticket.id == int(number.group(1))))


def hits(query: str, dialect: str) -> Subquery:
    """(ticket_id, rank) of the tickets matching every word of `query` (inflections included: Danish
    stemming), best first by ascending rank; nothing for a query without a word to look for."""
    return search.hits(query.strip().lstrip("#"), dialect)
