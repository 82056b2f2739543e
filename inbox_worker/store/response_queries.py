"""Read tickets' response-time clocks: those started in a period (the figures), those near a due moment (warnings).

For the figures, merged tickets are left out (their request lives on in the ticket they were merged into), and so are
tickets from before the clocks existed. A reopened ticket counts with its latest clocks, in the period
they restarted in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, load_only
from sqlalchemy.sql.expression import Exists

from inbox_worker.domain.enums import TicketStatus
from inbox_worker.domain.response_clock import Target
from inbox_worker.domain.response_figures import TicketClocks
from inbox_worker.store.models import Customer, ResponseWarning, Staff, Ticket
from inbox_worker.store.response import clocks_of

# What clocks_of reads (a month's tickets load these, not their subjects, coverage and review JSON).
_CLOCK_COLUMNS = (Ticket.response_rule, Ticket.response_reason, Ticket.first_response_minutes,
                  Ticket.resolution_minutes, Ticket.clock_mode, Ticket.clock_started_at, Ticket.first_response_due_at,
                  Ticket.first_response_at, Ticket.resolution_due_at, Ticket.paused_at, Ticket.paused_minutes,
                  Ticket.resolved_at)


def clocks_started(session: Session, start: datetime, end: datetime,
                   customer_id: int | None = None) -> list[TicketClocks]:
    """Tickets whose clocks started in [start, end), by ticket number; only one customer's when named."""
    query = (select(Ticket, Customer.key, Customer.name)
             .options(load_only(Ticket.id, Ticket.priority, *_CLOCK_COLUMNS))
             .outerjoin(Customer, Customer.id == Ticket.customer_id)
             .where(Ticket.clock_started_at >= start, Ticket.clock_started_at < end,
                    Ticket.merged_into_id.is_(None))
             .order_by(Ticket.id))
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    found: list[TicketClocks] = []
    for ticket, key, name in session.execute(query):
        clocks = clocks_of(ticket)
        if clocks is not None:
            found.append(TicketClocks(ticket.id, key, name or "", ticket.priority, clocks))
    return found


def _warned(target: Target) -> Exists:
    return exists().where(ResponseWarning.ticket_id == Ticket.id, ResponseWarning.target == target.value)


def warning_candidates(session: Session, horizon: datetime) -> list[int]:
    """Open tickets with a promise due by `horizon` (or missed) that was not warned about yet, nearest first.

    A range on the indexed `next_due_at` (the nearest open promise; a ticket whose nearest is not due by
    then has no other that is); the caller checks each one on the working-time clock.
    """
    query = (select(Ticket.id)
             .where(Ticket.next_due_at <= horizon, Ticket.status == TicketStatus.OPEN.value,
                    Ticket.merged_into_id.is_(None),
                    or_(and_(Ticket.first_response_at.is_(None), ~_warned(Target.FIRST_RESPONSE)),
                        and_(Ticket.resolution_due_at <= horizon, Ticket.paused_at.is_(None),
                             ~_warned(Target.RESOLUTION))))
             .order_by(Ticket.next_due_at, Ticket.id))
    return list(session.scalars(query))


def warned_targets(session: Session, ticket_id: int) -> set[str]:
    return set(session.scalars(select(ResponseWarning.target).where(ResponseWarning.ticket_id == ticket_id)))


def staff_email(session: Session, initials: str | None) -> str | None:
    """The address of the active staff member with these initials (a ticket's assignee), if there is one."""
    if not initials:
        return None
    return session.scalar(select(Staff.email).where(Staff.initials == initials, Staff.active.is_(True)))
