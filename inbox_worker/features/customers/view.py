"""What the customer page shows: agreement, packages, contacts, devices and open tickets, in a few queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.agreement import effective_agreement
from inbox_worker.domain.types import TicketStatus
from inbox_worker.store.models import Contact, Customer, Device, Ticket

OPEN_TICKETS_SHOWN = 200


@dataclass
class CustomerView:
    customer: Customer
    agreement_now: str  # the agreement as of today: past its end date an agreement counts as "none"
    contacts: list[Contact]
    devices: list[Device]
    open_tickets: list[Ticket]


def customer_view(session: Session, key: str, today: date) -> CustomerView | None:
    customer = session.scalar(select(Customer).where(Customer.key == key))
    if customer is None:
        return None
    contacts = list(session.scalars(select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.name)))
    devices = list(session.scalars(select(Device).where(Device.customer_id == customer.id).order_by(Device.tag)))
    tickets = list(session.scalars(
        select(Ticket).where(Ticket.customer_id == customer.id, Ticket.status != TicketStatus.CLOSED.value,
                             Ticket.merged_into_id.is_(None))
        .order_by(Ticket.look_rank, Ticket.priority_rank, Ticket.created_at).limit(OPEN_TICKETS_SHOWN)))
    agreement = effective_agreement(customer.agreement, customer.agreement_end, today)
    return CustomerView(customer, agreement, contacts, devices, tickets)
