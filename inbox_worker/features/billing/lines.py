"""A quarter's invoice lines per customer: agreed packages and billable time, in Decimal kroner. Pure.

Rounding: each time line (an entry with its corrections netted in) is rounded up to the started block
of `round_up_minutes` (15: the started quarter hour); amount = rate x billed minutes / 60, rounded to
the øre (half up). Package lines carry quantities only; their prices live in the invoicing system.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from inbox_worker.domain.vocabulary import PACKAGES
from inbox_worker.errors import UserError

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
COLUMNS = ("customer", "customer_name", "line", "item", "description", "ticket", "date", "initials", "minutes",
           "billed_minutes", "quantity", "rate_dkk", "amount_dkk")
ØRE = Decimal("0.01")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip())
        if not match:
            raise UserError(f"--quarter skal se ud som 2026-Q2, ikke {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter."""
        return date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass(frozen=True)
class CustomerFacts:
    key: str
    name: str
    agreement: str
    agreement_end: date | None
    packages: tuple[str, ...]  # customer level
    holdings: tuple[tuple[str, ...], ...]  # the packages of each of its contacts and devices


@dataclass(frozen=True)
class TimeRow:
    id: int
    corrects: int | None
    ticket: int
    subject: str
    customer: str | None
    work_date: date
    by: str
    minutes: int
    status: str
    rate_dkk: int
    note: str | None


@dataclass(frozen=True)
class PackageLine:
    item: str
    quantity: int


@dataclass(frozen=True)
class TimeLine:
    ticket: int
    work_date: date
    by: str
    minutes: int
    billed_minutes: int
    rate: Decimal
    amount: Decimal
    description: str


@dataclass(frozen=True)
class Section:
    key: str
    name: str
    packages: tuple[PackageLine, ...]
    time: tuple[TimeLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.time), Decimal("0.00"))


@dataclass(frozen=True)
class Invoice:
    quarter: Quarter
    round_up_minutes: int
    sections: tuple[Section, ...]
    left_out: tuple[TimeRow, ...]  # billable-or-undetermined time that cannot be invoiced as it stands


def package_lines(customer: CustomerFacts, quarter: Quarter) -> tuple[PackageLine, ...]:
    """Packages are invoiced while an agreement is in force at some point of the quarter (not on trial)."""
    in_force = customer.agreement in ("active", "terminated") and (
        customer.agreement_end is None or customer.agreement_end >= quarter.start)
    if not in_force:
        return ()
    lines = []
    for item in PACKAGES:
        quantity = (item in customer.packages) + sum(item in held for held in customer.holdings)
        if quantity:
            lines.append(PackageLine(item, quantity))
    return tuple(lines)


def billed_minutes(minutes: int, round_up: int) -> int:
    return -(-minutes // round_up) * round_up


def _time_line(rows: list[TimeRow], round_up: int) -> TimeLine | None:
    original = rows[0]
    minutes = sum(row.minutes for row in rows)
    if minutes <= 0:
        return None
    billed = billed_minutes(minutes, round_up)
    rate = Decimal(original.rate_dkk)
    amount = (rate * billed / 60).quantize(ØRE, rounding=ROUND_HALF_UP)
    description = f"#{original.ticket} {original.subject}".strip() + (f" – {original.note}" if original.note else "")
    return TimeLine(original.ticket, original.work_date, original.by, minutes, billed, rate.quantize(ØRE), amount,
                    description)


def time_lines(rows: Iterable[TimeRow], round_up: int) -> dict[str, list[TimeLine]]:
    """Billable lines per customer: each original entry with its corrections, in date and ticket order."""
    groups: dict[int, list[TimeRow]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        groups[row.corrects or row.id].append(row)
    lines: dict[str, list[TimeLine]] = defaultdict(list)
    for group in groups.values():
        if group[0].corrects is None and group[0].status == "billable" and group[0].customer:
            line = _time_line(group, round_up)
            if line is not None:
                lines[group[0].customer].append(line)
    for customer_lines in lines.values():
        customer_lines.sort(key=lambda line: (line.work_date, line.ticket))
    return lines


def invoice(customers: Iterable[CustomerFacts], rows: Iterable[TimeRow], quarter: Quarter,
            round_up: int) -> Invoice:
    rows = list(rows)
    by_customer = time_lines(rows, round_up)
    sections = []
    for customer in sorted(customers, key=lambda c: c.key):
        packages, time = package_lines(customer, quarter), tuple(by_customer.get(customer.key, ()))
        if packages or time:
            sections.append(Section(customer.key, customer.name, packages, time))
    left_out = tuple(row for row in rows if row.corrects is None and (
        row.status == "undetermined" or (row.status == "billable" and not row.customer)))
    return Invoice(quarter, round_up, tuple(sections), left_out)


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula (mail subjects are hostile) is defused."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(result: Invoice) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for section in result.sections:
        head = (section.key, section.name)
        for package in section.packages:
            writer.writerow(map(_cell, (*head, "package", package.item, PACKAGES[package.item], "", "", "", "", "",
                                        package.quantity, "", "")))
        for line in section.time:
            writer.writerow(map(_cell, (*head, "time", "", line.description, line.ticket, line.work_date.isoformat(),
                                        line.by, line.minutes, line.billed_minutes, "", line.rate, line.amount)))
        billed = sum(line.billed_minutes for line in section.time)
        writer.writerow(map(_cell, (*head, "total", "", "I alt ekskl. moms", "", "", "", "", billed, "", "",
                                    section.total)))
    return out.getvalue()
