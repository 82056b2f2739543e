"""The month's response-time report: per customer and priority, targets met and working times (`sla report`, /sla).

Which tickets count: those whose clocks started in the month (Europe/Copenhagen), counted as of the
moment the report is made (domain/response_figures.py says how met, missed and open are decided). A
promise still open and not yet due is shown as open ("åbne") and kept out of the met %; one past its
due moment is missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.enums import Priority
from inbox_worker.domain.response_figures import Counted, TargetFigures, TicketClocks, count, figures_of
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.errors import UserError
from inbox_worker.features.response.workcalendar import work_calendar
from inbox_worker.store.models import Customer
from inbox_worker.store.response_queries import clocks_started

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
PERCENTILE_METHOD = "nearest-rank"
_PRIORITIES = frozenset(p.value for p in Priority)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise UserError(f"--month must look like 2026-11, not {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, moment: datetime, zone: str) -> Month:
        local = moment.astimezone(ZoneInfo(zone))
        return cls(local.year, local.month)

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The first of the month 00:00 to the first of the next, local time (DST-safe)."""
        following = date(self.year + 1, 1, 1) if self.month == 12 else date(self.year, self.month + 1, 1)
        tz = ZoneInfo(zone)
        return datetime.combine(date(self.year, self.month, 1), time(0), tz), datetime.combine(following, time(0), tz)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass(frozen=True)
class ReportRow:
    customer: str | None  # registry key; None: no known customer (or, in the total, every customer)
    customer_name: str
    priority: str | None  # None in the total
    tickets: int
    first_response: TargetFigures
    resolution: TargetFigures


@dataclass(frozen=True)
class Report:
    month: Month
    customer: str | None
    as_of: datetime
    rows: tuple[ReportRow, ...]
    total: ReportRow


def _row(counted: list[Counted], customer: str | None, name: str, priority: str | None) -> ReportRow:
    first_response, resolution = figures_of(counted)
    return ReportRow(customer, name, priority, len(counted), first_response, resolution)


def _priority_order(priority: str) -> int:
    return Priority(priority).rank if priority in _PRIORITIES else len(Priority)


def build_report(tickets: list[TicketClocks], month: Month, customer: str | None, as_of: datetime,
                 calendar: WorkCalendar) -> Report:
    """Rows by customer name (no known customer last), then priority, most urgent first; and the total."""
    groups: dict[tuple[str | None, str], list[Counted]] = {}
    names: dict[str | None, str] = {}
    everything = []
    for ticket in tickets:
        counted = count(ticket.clocks, as_of, calendar)
        everything.append(counted)
        groups.setdefault((ticket.customer, ticket.priority), []).append(counted)
        names[ticket.customer] = ticket.customer_name
    order = sorted(groups, key=lambda g: (g[0] is None, names[g[0]].casefold(), g[0] or "", _priority_order(g[1])))
    rows = tuple(_row(groups[key], key[0], names[key[0]], key[1]) for key in order)
    return Report(month, customer, as_of, rows, _row(everything, None, "", None))


def month_report(session: Session, settings: Settings, month: Month, customer: str | None,
                 as_of: datetime) -> Report:
    """The report read from the database (a one-line error for an unknown customer key)."""
    customer_id = None
    if customer:
        customer_id = session.scalar(select(Customer.id).where(Customer.key == customer))
        if customer_id is None:
            raise UserError(f"no customer with key {customer!r}")
    start, end = month.bounds(settings.company.timezone)
    tickets = clocks_started(session, start, end, customer_id)
    return build_report(tickets, month, customer, as_of, work_calendar(settings))


def _hours(minutes: int | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


def _figures_json(figures: TargetFigures) -> dict[str, Any]:
    return {"met": figures.met, "missed": figures.missed, "open": figures.open, "met_percent": figures.met_percent,
            "median_minutes": figures.median_minutes, "p90_minutes": figures.p90_minutes,
            "median_hours": _hours(figures.median_minutes), "p90_hours": _hours(figures.p90_minutes)}


def _row_json(row: ReportRow) -> dict[str, Any]:
    return {"customer": row.customer, "customer_name": row.customer_name or None, "priority": row.priority,
            "tickets": row.tickets, "first_response": _figures_json(row.first_response),
            "resolution": _figures_json(row.resolution)}


def report_json(report: Report) -> dict[str, Any]:
    """The report as `sla report --json` prints it (English keys; times in working minutes and hours)."""
    return {"month": str(report.month), "customer": report.customer, "as_of": report.as_of.isoformat(),
            "percentile_method": PERCENTILE_METHOD, "rows": [_row_json(row) for row in report.rows],
            "total": _row_json(report.total)}
