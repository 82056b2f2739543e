"""Logged time as the ticket and customer pages show it: covered and billable minutes, and DKK as invoiced.

Billable money is computed exactly as the quarterly invoice does (billing.time_lines): each entry with
its corrections netted in, rounded up to the started `round_up_minutes` block, rate x minutes / 60 to the øre.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.features.billing.lines import Quarter, TimeRow, time_lines
from inbox_worker.features.tickets.ops import TimeEntryRecord
from inbox_worker.store.models import Customer, Ticket, TimeEntry


@dataclass(frozen=True)
class TimeTotals:
    covered_minutes: int
    billable_minutes: int  # as logged, corrections netted in
    billed_minutes: int  # as invoiced: rounded up per entry; 0 when the time cannot be invoiced (no customer)
    billable_dkk: Decimal  # excl. VAT, as invoiced
    undetermined_minutes: int
    round_up_minutes: int

    @property
    def invoiceable(self) -> bool:
        """False when billable time exists but cannot be invoiced as it stands (the ticket has no customer)."""
        return self.billable_minutes <= 0 or self.billed_minutes > 0


def totals(rows: Iterable[TimeRow], round_up: int) -> TimeTotals:
    """The totals of time rows (of one customer or one ticket)."""
    rows = list(rows)
    minutes = {status: sum(r.minutes for r in rows if r.status == status)
               for status in ("covered", "billable", "undetermined")}
    lines = [line for customer_lines in time_lines(rows, round_up).values() for line in customer_lines]
    return TimeTotals(minutes["covered"], minutes["billable"], sum(line.billed_minutes for line in lines),
                      sum((line.amount for line in lines), Decimal("0.00")), minutes["undetermined"], round_up)


def ticket_rows(records: Iterable[TimeEntryRecord], subject: str, customer: str | None) -> list[TimeRow]:
    return [TimeRow(r.id, r.corrects, r.ticket, subject, customer, r.work_date, r.by, r.minutes, r.status,
                    r.rate_dkk, r.note) for r in records]


def quarter_of(day: date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def customer_quarter_rows(session: Session, customer: Customer, quarter: Quarter) -> list[TimeRow]:
    """The time entries of the customer's tickets whose work was done in the quarter."""
    query = (select(TimeEntry, Ticket.subject).join(Ticket, Ticket.id == TimeEntry.ticket_id)
             .where(Ticket.customer_id == customer.id, TimeEntry.work_date >= quarter.start,
                    TimeEntry.work_date < quarter.end)
             .order_by(TimeEntry.id))
    return [TimeRow(e.id, e.corrects_id, e.ticket_id, subject, customer.key, e.work_date, e.by, e.minutes, e.status,
                    e.rate_dkk, e.note) for e, subject in session.execute(query)]
