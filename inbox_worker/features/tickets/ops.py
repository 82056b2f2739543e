"""Staff actions on a ticket's money side: override its coverage, log time (append-only). For the CLI and the web UI.

Each function works in the caller's session and transaction (`with Session(engine) as s, s.begin(): ...`)
and raises UserError with one readable line when the input is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.domain.agreement import effective_agreement
from inbox_worker.domain.enums import CoverageStatus
from inbox_worker.domain.types import Coverage
from inbox_worker.domain.vocabulary import OVERRIDE_RULE, RATE_OF_AGREEMENT
from inbox_worker.errors import UserError
from inbox_worker.features.tickets.edit import refresh_sort
from inbox_worker.store.models import CoverageOverride, Customer, Ticket, TicketEntry, TimeEntry

_INITIALS = re.compile(r"^[^\s]{1,16}$")


@dataclass(frozen=True)
class TimeEntryRecord:
    id: int
    ticket: int
    work_date: date
    minutes: int
    by: str
    note: str | None
    status: str  # covered | billable | undetermined: the coverage this time was logged under
    rate_dkk: int
    rule: str
    corrects: int | None
    created_at: datetime


def _ticket(session: Session, number: int) -> Ticket:
    ticket = session.get(Ticket, number, with_for_update=True)
    if ticket is None:
        raise UserError(f"sag #{number} findes ikke")
    return ticket


def _agreement_rate(session: Session, ticket: Ticket, rates: Mapping[str, int], on: date) -> int:
    """The hourly rate the customer's agreement gives on a day (an unknown customer pays the `none` rate)."""
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    agreement = effective_agreement(customer.agreement, customer.agreement_end, on) if customer else "unknown"
    return rates[RATE_OF_AGREEMENT[agreement]]


def _rate(value: str | int | None, rates: Mapping[str, int]) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value in rates:
        return rates[value]
    try:
        rate = int(str(value))
    except ValueError:
        rate = 0
    if rate < 1:
        raise UserError(f"satsen skal være en af {', '.join(rates)} eller et helt antal kr. pr. time, ikke {value!r}")
    return rate


def set_coverage(session: Session, number: int, status: str, reason: str, by: str, rates: Mapping[str, int],
                 rate: str | int | None = None, now: datetime | None = None,
                 timezone: str = "Europe/Copenhagen") -> Coverage:
    """Staff's coverage for ticket `number` (covered | billable): wins over the rules for every later mail.

    `rate` is a rate key of [rates] or DKK per hour; a billable override without one keeps the ticket's
    rate, else takes the customer's agreement rate. Recorded with who, when and why.
    """
    now = now or datetime.now(UTC)
    if status not in ("covered", "billable"):
        raise UserError(f"dækningen skal være covered eller billable, ikke {status!r}")
    if not reason.strip() or not by.strip():
        raise UserError("en ændret dækning kræver en begrundelse og hvem der har besluttet den")
    ticket = _ticket(session, number)
    given = _rate(rate, rates)
    if status == "covered" and given:
        raise UserError("dækket arbejde har ingen sats (--rate hører til billable)")
    previous = dict(ticket.coverage or {})
    if status == "covered":
        rate_dkk = 0
    else:
        rate_dkk = given or int(previous.get("rate_dkk") or 0) or _agreement_rate(
            session, ticket, rates, now.astimezone(ZoneInfo(timezone)).date())
    day = now.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y")
    coverage = Coverage(CoverageStatus(status), rate_dkk, None, OVERRIDE_RULE,
                        f"{reason.strip()} (sat af {by.strip()} {day})")
    session.add(CoverageOverride(ticket_id=number, status=status, rate_dkk=rate_dkk, reason=reason.strip(),
                                 by=by.strip(), previous=previous, created_at=now))
    ticket.coverage = coverage.as_dict()
    review = [flag for flag in ticket.review if flag not in ("billable", "coverage-undetermined")]
    ticket.review = [*review, "billable"] if status == "billable" else review
    ticket.updated_at = now
    refresh_sort(ticket)  # the queue's order and coverage filter read these columns
    what = "dækket" if status == "covered" else f"fakturerbar ({rate_dkk} kr./time)"
    session.add(TicketEntry(ticket_id=number, kind="event", author=by.strip(), subject="Dækning ændret",
                            body_text=f"Dækningen er sat til {what}: {reason.strip()}", created_at=now))
    return coverage


def _record(entry: TimeEntry) -> TimeEntryRecord:
    return TimeEntryRecord(entry.id, entry.ticket_id, entry.work_date, entry.minutes, entry.by, entry.note,
                           entry.status, entry.rate_dkk, entry.rule, entry.corrects_id, entry.created_at)


def _correction(session: Session, number: int, corrects: int, minutes: int) -> TimeEntry:
    original = session.get(TimeEntry, corrects)
    if original is None or original.ticket_id != number or original.corrects_id is not None:
        raise UserError(f"tidsregistrering {corrects} er ikke en oprindelig registrering på sag #{number}")
    corrected = session.scalar(select(func.sum(TimeEntry.minutes)).where(TimeEntry.corrects_id == corrects)) or 0
    if original.minutes + corrected + minutes < 0:
        raise UserError(f"tidsregistrering {corrects} har {original.minutes + corrected} minutter tilbage; "
                        f"en rettelse på {minutes} ville gøre den negativ")
    return original


def log_time(session: Session, number: int, minutes: int, by: str, rates: Mapping[str, int],
             note: str | None = None, coverage: str | None = None, work_date: date | None = None,
             corrects: int | None = None, now: datetime | None = None,
             timezone: str = "Europe/Copenhagen") -> TimeEntryRecord:
    """A new time entry on ticket `number`, under the ticket's coverage now unless `coverage` says otherwise.

    Entries are never changed: a correction is a new entry with `corrects` = the original's id and
    the minutes to add or (negative) take away; it keeps the original's day, coverage and rate.
    """
    now = now or datetime.now(UTC)
    if not _INITIALS.match(by.strip()):
        raise UserError(f"--by skal være medarbejderens initialer, ikke {by!r}")
    if coverage not in (None, "covered", "billable"):
        raise UserError(f"dækningen skal være covered eller billable, ikke {coverage!r}")
    ticket = _ticket(session, number)
    values: dict[str, Any]
    if corrects is not None:
        if minutes == 0 or coverage is not None:
            raise UserError("en rettelse angiver minutter, der lægges til eller trækkes fra, og beholder den "
                            "oprindeliges dækning")
        original = _correction(session, number, corrects, minutes)
        values = {"work_date": original.work_date, "status": original.status, "rate_dkk": original.rate_dkk,
                  "rule": original.rule}
    else:
        if minutes <= 0:
            raise UserError("tiden skal være positiv (en negativ rettelse angiver med --corrects den registrering, "
                            "den retter)")
        values = _coverage_now(session, ticket, coverage, rates, now.astimezone(ZoneInfo(timezone)).date())
        values["work_date"] = work_date or now.astimezone(ZoneInfo(timezone)).date()
    entry = TimeEntry(ticket_id=number, minutes=minutes, by=by.strip().upper(), note=(note or "").strip() or None,
                      corrects_id=corrects, created_at=now, **values)
    session.add(entry)
    session.flush()
    return _record(entry)


def _coverage_now(session: Session, ticket: Ticket, told: str | None, rates: Mapping[str, int],
                  today: date) -> dict[str, Any]:
    current = dict(ticket.coverage or {})
    status = told or str(current.get("status") or "undetermined")
    if status == "covered":
        rate = 0
    else:
        rate = int(current.get("rate_dkk") or 0) or _agreement_rate(session, ticket, rates, today)
    rule = f"staff-{told}" if told else str(current.get("rule") or "no-coverage-yet")
    return {"status": status, "rate_dkk": rate, "rule": rule[:64]}


def time_entries(session: Session, number: int) -> list[TimeEntryRecord]:
    """Every time entry of a ticket, oldest first (corrections included, as logged)."""
    rows = session.scalars(select(TimeEntry).where(TimeEntry.ticket_id == number).order_by(TimeEntry.id))
    return [_record(row) for row in rows]


def coverage_history(session: Session, number: int) -> list[dict[str, Any]]:
    """The staff overrides of a ticket's coverage, oldest first: status, rate, reason, by, when, previous."""
    rows = session.scalars(select(CoverageOverride).where(CoverageOverride.ticket_id == number)
                           .order_by(CoverageOverride.id))
    return [{"status": r.status, "rate_dkk": r.rate_dkk, "reason": r.reason, "by": r.by,
             "created_at": r.created_at, "previous": r.previous} for r in rows]
