"""A customer's weekly summary: the week's tickets, time and the agreement's fit to reality. Pure.

The facts are read by features/summary/queries.py; this module turns them into what the
summary says, including the overview MICO uses to keep the agreement in line with reality: people
who wrote in without a user package, and devices without a package that needed billable work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from inbox_worker.errors import UserError
from inbox_worker.features.billing.lines import Quarter
from inbox_worker.features.summary.response_line import ResponseWeek

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
USER_PACKAGE = "MCOSABBRU"
DEVICE_PACKAGES = {"server": "MCOSACSRV", "nas": "MCOSACSRV", "computer": "MCOSABCOM"}


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        match = _WEEK.match(text.strip())
        if not match:
            raise UserError(f"--week skal se ud som 2026-W47, ikke {text!r}")
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise UserError(f"--week {text}: {year} har ingen uge {week}") from None
        return cls(year, week)

    @classmethod
    def last_completed(cls, now: datetime, zone: str) -> IsoWeek:
        """The ISO week before the one `now` falls in, on the company's clock."""
        year, week, _ = (now.astimezone(ZoneInfo(zone)).date() - timedelta(days=7)).isocalendar()
        return cls(year, week)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """Monday 00:00 to the next Monday 00:00, local time (DST-safe), as aware datetimes."""
        tz = ZoneInfo(zone)
        start = datetime.combine(self.monday, time(0), tz)
        return start, datetime.combine(self.monday + timedelta(days=7), time(0), tz)

    @property
    def quarter(self) -> Quarter:
        """The quarter the week's Sunday falls in: 'the quarter so far' ends with the week."""
        sunday = self.monday + timedelta(days=6)
        return Quarter(sunday.year, (sunday.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def summary_due(now: datetime, zone: str, weekday: str, at: str) -> IsoWeek:
    """The week whose summaries should have gone out by `now`: the one before this week's send moment.

    Sending is idempotent, so a worker starting at any time may simply send this week's due summaries.
    """
    local = now.astimezone(ZoneInfo(zone))
    monday = local.date() - timedelta(days=local.weekday())
    hour, minute = (int(part) for part in at.split(":"))
    moment = datetime.combine(monday + timedelta(days=_WEEKDAYS.index(weekday)), time(hour, minute), ZoneInfo(zone))
    reference = local.date() if local >= moment else local.date() - timedelta(days=7)
    year, week, _ = (reference - timedelta(days=7)).isocalendar()
    return IsoWeek(year, week)


@dataclass(frozen=True)
class DeviceLine:
    tag: str
    name: str
    kind: str
    packages: tuple[str, ...]
    primary: bool


@dataclass(frozen=True)
class TicketLine:
    number: int
    subject: str
    contact: str | None  # the contact's name, else the sender's address
    contact_email: str | None
    devices: tuple[DeviceLine, ...]
    status: str
    category: str
    coverage: str
    created: datetime
    updated: datetime
    closed: datetime | None


@dataclass(frozen=True)
class TimeTotals:
    covered_minutes: int = 0
    billable_minutes: int = 0
    billable_dkk: Decimal = Decimal("0.00")

    @property
    def covered_hours(self) -> Decimal:
        return (Decimal(self.covered_minutes) / 60).quantize(Decimal("0.01"))

    @property
    def billable_hours(self) -> Decimal:
        return (Decimal(self.billable_minutes) / 60).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class SummaryFacts:
    customer_key: str
    customer_name: str
    language: str
    recipient: str
    recipient_name: str
    week: IsoWeek
    start: datetime
    end: datetime
    tickets: tuple[TicketLine, ...]  # every ticket created, updated or closed in the week, or still open
    contact_packages: dict[str, tuple[str, ...]]  # contact email -> packages
    packages: tuple[tuple[str, str, int], ...]  # (item, name, quantity) as the registry stands
    time_week: TimeTotals
    time_quarter: TimeTotals
    response: ResponseWeek | None = None  # [summary] response_times: the week's first responses


@dataclass(frozen=True)
class Summary:
    facts: SummaryFacts
    opened: tuple[TicketLine, ...]
    updated: tuple[TicketLine, ...]
    closed: tuple[TicketLine, ...]
    still_open: tuple[TicketLine, ...]  # opened before the week, not touched in it, still open
    open_count: int  # every ticket open at the end of the week
    waiting: tuple[TicketLine, ...]
    users_without_package: tuple[str, ...]  # people who wrote in without a user package
    devices_without_package: tuple[tuple[str, str, str], ...]  # (tag, name, missing package) with billable work

    @property
    def has_activity(self) -> bool:
        week = self.facts
        return bool(self.opened or self.updated or self.closed or week.time_week.covered_minutes
                    or week.time_week.billable_minutes)


def _in(moment: datetime | None, facts: SummaryFacts) -> bool:
    return moment is not None and facts.start <= moment < facts.end


def build_summary(facts: SummaryFacts) -> Summary:
    opened = tuple(t for t in facts.tickets if _in(t.created, facts))
    closed = tuple(t for t in facts.tickets if _in(t.closed, facts))
    updated = tuple(t for t in facts.tickets if _in(t.updated, facts) and t not in opened and t not in closed)
    open_now = tuple(t for t in facts.tickets if t.status == "open" and t.created < facts.end)
    waiting = tuple(t for t in facts.tickets if t.status == "waiting" and t.created < facts.end)
    # Older tickets still open; this week's new ones are listed once, under "new".
    still_open = tuple(t for t in open_now if t not in opened and t not in updated)
    active = opened + updated + closed if facts.packages else ()  # the fit of an agreement in force
    without_user_package = sorted({
        t.contact or t.contact_email or "" for t in active
        if t.contact_email in facts.contact_packages
        and USER_PACKAGE not in facts.contact_packages[t.contact_email]})
    missing: dict[str, tuple[str, str, str]] = {}
    for ticket in active:
        if ticket.coverage != "billable":
            continue
        for device in ticket.devices:
            package = DEVICE_PACKAGES.get(device.kind)
            # A primary computer is covered through its user's package: that shows as a user without one.
            if package and package not in device.packages and not (device.kind == "computer" and device.primary):
                missing[device.tag] = (device.tag, device.name, package)
    return Summary(facts, opened, updated, closed, still_open, len(open_now), waiting, tuple(without_user_package),
                   tuple(missing[tag] for tag in sorted(missing)))


NO_CONTACT_PERSON = "ingen kontaktperson"


def why_not_sent(setting: str, contact_person: str | None, sent_before: bool, has_activity: bool) -> str | None:
    """Why this customer gets no summary for the week (registry `weekly_summary`), or None: send it."""
    if not contact_person:
        return NO_CONTACT_PERSON
    if setting == "never":
        return "ingen ugeoversigt"
    if sent_before:
        return "allerede sendt"
    if setting != "always" and not has_activity:
        return "ingen aktivitet i ugen"
    return None
