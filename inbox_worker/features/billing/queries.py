"""Read what a quarter's invoice needs: customers with the packages they and their people and devices hold, and time."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.features.billing.lines import CustomerFacts, Quarter, TimeRow
from inbox_worker.store.models import Contact, Customer, Device, Ticket, TimeEntry


def billing_customers(session: Session) -> list[CustomerFacts]:
    """Every customer as the registry stands (it keeps no history: re-export a quarter before changing it)."""
    holdings: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for customer_id, packages in session.execute(select(Contact.customer_id, Contact.packages)):
        holdings[customer_id].append(tuple(packages))
    for customer_id, packages in session.execute(select(Device.customer_id, Device.packages)):
        holdings[customer_id].append(tuple(packages))
    return [CustomerFacts(c.key, c.name, c.agreement, c.agreement_end, tuple(c.packages), tuple(holdings[c.id]))
            for c in session.scalars(select(Customer).order_by(Customer.key))]


def billing_time(session: Session, quarter: Quarter) -> list[TimeRow]:
    """The quarter's time entries (by the day the work was done), with their ticket's subject and customer."""
    query = (select(TimeEntry, Ticket.subject, Customer.key)
             .join(Ticket, Ticket.id == TimeEntry.ticket_id)
             .outerjoin(Customer, Customer.id == Ticket.customer_id)
             .where(TimeEntry.work_date >= quarter.start, TimeEntry.work_date < quarter.end)
             .order_by(TimeEntry.id))
    return [TimeRow(e.id, e.corrects_id, e.ticket_id, subject, key, e.work_date, e.by, e.minutes, e.status,
                    e.rate_dkk, e.note) for e, subject, key in session.execute(query)]
