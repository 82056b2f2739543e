"""Who has a ticket's page open: the only writer and reader of ticket_viewers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_worker.store.models import Staff, TicketViewer

# A page counts as open this long after it was shown or its script last reported in (every 30 s while the
# tab is visible, static/presence.js). Without JavaScript a page counts as open for this long after loading.
OPEN_FOR = timedelta(minutes=3)


@dataclass(frozen=True)
class Viewer:
    initials: str
    name: str
    seen_at: datetime


def mark_seen(session: Session, ticket: int, staff_id: int, at: datetime) -> None:
    """Record that `staff_id` has the ticket open now (committed by the caller; a lost race is harmless)."""
    changed = session.execute(update(TicketViewer).where(TicketViewer.ticket_id == ticket,
                                                         TicketViewer.staff_id == staff_id).values(seen_at=at))
    if changed.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(TicketViewer(ticket_id=ticket, staff_id=staff_id, seen_at=at))
    except IntegrityError:  # the same person's other tab inserted it first: theirs is as good
        return
    forget_old(session, at)  # a first view of a ticket is the moment to tidy up


def others(session: Session, ticket: int, staff_id: int, now: datetime) -> list[Viewer]:
    """The other staff members with the ticket open now, the most recent first."""
    rows = session.execute(
        select(Staff.initials, Staff.name, Staff.email, TicketViewer.seen_at)
        .join(Staff, Staff.id == TicketViewer.staff_id)
        .where(TicketViewer.ticket_id == ticket, TicketViewer.staff_id != staff_id,
               TicketViewer.seen_at > now - OPEN_FOR)
        .order_by(TicketViewer.seen_at.desc()))
    return [Viewer(initials, name or email, seen) for initials, name, email, seen in rows]


def forget_old(session: Session, now: datetime) -> int:
    """Remove rows of pages closed long ago (a day), so the table stays as small as the team."""
    gone = session.execute(delete(TicketViewer).where(TicketViewer.seen_at < now - timedelta(days=1)))
    return int(gone.rowcount)  # type: ignore[attr-defined]
