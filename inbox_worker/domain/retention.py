"""How long personal data is kept ([privacy] in the config): the moments before which each kind goes. Pure.

Raw mail, attachments and rendered outgoing mail go `raw_mail_months` after their ticket closed; the ticket's
text is anonymised after `ticket_text_months`; time entries and coverage decisions (the invoice basis) are
kept `invoice_basis_years` after the end of the financial (calendar) year they belong to; the access log
`access_log_months`. A terminated customer's tickets count from its agreement end when that comes first (an
open ticket of a customer that has left counts from the end).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (31 March less one month is 28/29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def agreement_ended_at(end: date, zone: ZoneInfo) -> datetime:
    """When an agreement whose last day is `end` is over: midnight after it, company time, in UTC."""
    return datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def counted_from(created_at: datetime, closed_at: datetime | None, ended_at: datetime | None) -> datetime | None:
    """The moment a ticket's retention counts from: its close, or its customer's agreement end if that came
    first (a ticket opened before the end, still open after it); None (kept) for an open ticket otherwise.
    A ticket opened after the agreement ended (the customer writes in without one) counts from its close."""
    moments = [closed_at] if closed_at is not None else []
    if ended_at is not None and created_at < ended_at:
        moments.append(ended_at)
    return min(moments) if moments else None


@dataclass(frozen=True)
class Periods:
    raw_mail_months: int
    ticket_text_months: int
    invoice_basis_years: int
    access_log_months: int


@dataclass(frozen=True)
class Cutoffs:
    """What counts from before these moments goes now."""

    raw_mail: datetime  # raw mail, attachments, rendered outgoing mail
    ticket_text: datetime  # ticket text anonymised
    invoice_basis: date  # time entries and coverage decisions with a work day before it (1 January)
    access_log: datetime

    @property
    def invoice_basis_moment(self) -> datetime:
        """The same first day as a moment (UTC midnight): for rows that carry a time, not a day."""
        return datetime.combine(self.invoice_basis, time(0), tzinfo=UTC)


def cutoffs(now: datetime, periods: Periods, zone: ZoneInfo) -> Cutoffs:
    """The cutoffs on `now`. A time entry of year Y is kept through Y + invoice_basis_years: with 5 years, an
    entry of 2021 goes on 1 January 2027 (Copenhagen's calendar year)."""
    this_year = now.astimezone(zone).year
    return Cutoffs(months_before(now, periods.raw_mail_months), months_before(now, periods.ticket_text_months),
                   date(this_year - periods.invoice_basis_years, 1, 1), months_before(now, periods.access_log_months))
