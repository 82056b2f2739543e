"""Read what one customer's weekly summary needs: the week's tickets with people and devices, and time."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from inbox_worker.domain.response_figures import first_response_figures, first_response_minutes
from inbox_worker.domain.vocabulary import PACKAGES
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.errors import UserError
from inbox_worker.features.billing.lines import CustomerFacts, TimeRow, package_lines, time_lines
from inbox_worker.features.summary.build import DeviceLine, IsoWeek, SummaryFacts, TicketLine, TimeTotals
from inbox_worker.features.summary.response_line import ResponseWeek
from inbox_worker.store.models import Contact, Customer, Device, SummarySent, Ticket, TicketDevice, TimeEntry
from inbox_worker.store.response_queries import clocks_started


def _tickets(session: Session, customer: Customer, start: datetime, end: datetime,
             names: dict[str, str]) -> tuple[TicketLine, ...]:
    in_week = or_(and_(Ticket.created_at >= start, Ticket.created_at < end),
                  and_(Ticket.updated_at >= start, Ticket.updated_at < end),
                  and_(Ticket.closed_at >= start, Ticket.closed_at < end),
                  and_(Ticket.status.in_(("open", "waiting")), Ticket.created_at < end))
    tickets = list(session.scalars(select(Ticket).where(Ticket.customer_id == customer.id, in_week)
                                   .order_by(Ticket.id)))
    devices: dict[int, list[DeviceLine]] = defaultdict(list)
    if tickets:
        rows = session.execute(select(TicketDevice.ticket_id, Device)
                               .join(Device, Device.id == TicketDevice.device_id)
                               .where(TicketDevice.ticket_id.in_([t.id for t in tickets])))
        for ticket_id, device in rows:
            devices[ticket_id].append(DeviceLine(device.tag, device.name, device.kind, tuple(device.packages),
                                                 bool(device.primary)))
    return tuple(
        TicketLine(t.id, t.subject, names.get(t.contact_email or "") or t.contact_email or t.from_address,
                   t.contact_email, tuple(devices[t.id]), t.status, t.category,
                   str((t.coverage or {}).get("status") or "undetermined"), t.created_at, t.updated_at, t.closed_at)
        for t in tickets)


def _totals(rows: list[TimeRow], round_up: int) -> TimeTotals:
    covered = sum(row.minutes for row in rows if row.status == "covered")
    lines = [line for customer_lines in time_lines(rows, round_up).values() for line in customer_lines]
    return TimeTotals(max(covered, 0), sum(line.billed_minutes for line in lines),
                      sum((line.amount for line in lines), start=TimeTotals().billable_dkk))


def _time(session: Session, customer: Customer, week: IsoWeek, round_up: int) -> tuple[TimeTotals, TimeTotals]:
    monday, sunday_end = week.monday, week.monday + timedelta(days=7)
    query = (select(TimeEntry, Ticket.subject)
             .join(Ticket, Ticket.id == TimeEntry.ticket_id)
             .where(Ticket.customer_id == customer.id, TimeEntry.work_date >= week.quarter.start,
                    TimeEntry.work_date < sunday_end)
             .order_by(TimeEntry.id))
    rows = [TimeRow(e.id, e.corrects_id, e.ticket_id, subject, customer.key, e.work_date, e.by, e.minutes, e.status,
                    e.rate_dkk, e.note) for e, subject in session.execute(query)]
    in_week = [row for row in rows if row.work_date >= monday]
    return _totals(in_week, round_up), _totals(rows, round_up)


def response_week(session: Session, customer: Customer, week: IsoWeek, zone: str, calendar: WorkCalendar,
                  now: datetime) -> ResponseWeek:
    """First responses to the customer's requests whose clocks started in the week, as of its end (or now)."""
    start, end = week.bounds(zone)
    as_of = min(end, now)
    tickets = clocks_started(session, start, end, customer.id)
    answered = [t for t in tickets if first_response_minutes(t.clocks, calendar, as_of) is not None]
    return ResponseWeek(first_response_figures(tickets, as_of, calendar),
                        frozenset(t.clocks.targets.mode for t in answered))


def summary_facts(session: Session, customer: Customer, week: IsoWeek, zone: str, round_up: int,
                  billing_facts: CustomerFacts, response: ResponseWeek | None = None) -> SummaryFacts:
    start, end = week.bounds(zone)
    contacts = list(session.scalars(select(Contact).where(Contact.customer_id == customer.id)))
    names = {c.email: c.name for c in contacts}
    time_week, time_quarter = _time(session, customer, week, round_up)
    packages = tuple((line.item, PACKAGES[line.item], line.quantity)
                     for line in package_lines(billing_facts, week.quarter))
    return SummaryFacts(
        customer.key, customer.name, customer.language, customer.contact_person or "",
        names.get(customer.contact_person or "", ""), week, start, end,
        _tickets(session, customer, start, end, names), {c.email: tuple(c.packages) for c in contacts},
        packages, time_week, time_quarter, response)


def summary_customers(session: Session, only: str | None = None) -> list[Customer]:
    """Every customer by key, or the one named (a one-line error when there is none)."""
    query = select(Customer).order_by(Customer.key)
    if only:
        query = query.where(Customer.key == only)
    customers = list(session.scalars(query))
    if only and not customers:
        raise UserError(f"ingen kunde med nøglen {only!r}")
    return customers


def already_sent(session: Session, customer: Customer, week: IsoWeek) -> bool:
    return session.scalar(select(SummarySent.id).where(SummarySent.customer_id == customer.id,
                                                       SummarySent.week == str(week))) is not None
