"""MICO's opening hours: is a moment inside them? Weekdays, hours and Danish public holidays. Pure.

The caller passes the moment; nothing here reads the clock. The holidays come from the `holidays`
package (its rules for Denmark, the Easter computus included), not from a table of our own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=64)
def danish_public_holidays(year: int) -> Mapping[date, str]:
    """The year's helligdage, date -> Danish name: New Year, Maundy Thursday to Easter Monday, Ascension,
    Whitsun, Christmas (`holidays`' public category; store bededag only before 2024, abolished in 2023).

    Not in it, as they are not public holidays by law: grundlovsdag, 1 May, juleaftensdag, nytårsaftensdag
    (`company.closed_days` closes them).
    """
    days = holidays.country_holidays("DK", years=year, categories=(holidays.PUBLIC,), language="da")
    return MappingProxyType(dict(days))


def is_public_holiday(day: date) -> bool:
    return day in danish_public_holidays(day.year)


def holiday_name(day: date) -> str | None:
    """'Anden påskedag', or None on a day that is not a public holiday."""
    return danish_public_holidays(day.year).get(day)


@dataclass(frozen=True)
class OfficeHours:
    timezone: str = "Europe/Copenhagen"
    opens: time = time(9, 0)
    closes: time = time(16, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    public_holidays: bool = True  # Danish public holidays are closed days
    closed_days: tuple[str, ...] = field(default=())  # "12-24" every year, or "2026-12-28" once

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def is_closed_day(self, day: date) -> bool:
        return _is_closed_day(self, day)

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        return not self.is_closed_day(local.date()) and self.opens <= local.time() < self.closes


@lru_cache(maxsize=4096)
def _is_closed_day(hours: OfficeHours, day: date) -> bool:
    """OfficeHours.is_closed_day, remembered: the clocks ask it of the same few days for every mail."""
    if day.weekday() not in hours.weekdays:
        return True
    if hours.public_holidays and is_public_holiday(day):
        return True
    return f"{day:%m-%d}" in hours.closed_days or day.isoformat() in hours.closed_days
