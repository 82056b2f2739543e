"""MICO's opening hours: is a moment inside them? Weekdays, hours and Danish public holidays. Pure.

The caller passes the moment; nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher")."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    day = (h + weekday_shift - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


@lru_cache(maxsize=64)
def danish_public_holidays(year: int) -> frozenset[date]:
    """Helligdage: New Year, Maundy Thursday to Easter Monday, Ascension, Whitsun, Christmas.

    Store bededag is not a holiday from 2024 (abolished by law in 2023).
    """
    easter = easter_sunday(year)
    around_easter = (-3, -2, 0, 1, 39, 49, 50)  # skærtorsdag ... 2. pinsedag
    days = {date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)}
    days.update(easter + timedelta(days=offset) for offset in around_easter)
    if year < 2024:
        days.add(easter + timedelta(days=26))  # store bededag
    return frozenset(days)


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
        if day.weekday() not in self.weekdays:
            return True
        if self.public_holidays and day in danish_public_holidays(day.year):
            return True
        return f"{day:%m-%d}" in self.closed_days or day.isoformat() in self.closed_days

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        return not self.is_closed_day(local.date()) and self.opens <= local.time() < self.closes
