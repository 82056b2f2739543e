"""Working time: when a duration counted in MICO's opening hours is due, and the working time between two moments.

A response-time clock runs either in opening hours (weekdays and hours from `[company]`, Danish public
holidays and `closed_days`, Europe/Copenhagen with its two DST nights) or around the clock (emergencies).
Durations are real elapsed time: the opening window of a day is turned into two aware moments and all
arithmetic happens in UTC, so a DST night neither adds nor loses an hour inside a window. Nothing here
reads the clock; the caller passes every moment. Pure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.hours import OfficeHours

# A calendar with no open day at all (every weekday closed) would never reach a due moment; configuration
# validation rejects it, and this bound turns a mistake that slips past into an error instead of a hang.
_MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkCalendar:
    """Opening hours as a clock: `due` adds working time, `between` measures it."""

    hours: OfficeHours

    def due(self, start: datetime, minutes: int, mode: ClockMode = ClockMode.OPENING_HOURS) -> datetime:
        """The moment `minutes` of working time after `start` (UTC). Zero minutes: `start` itself."""
        start = start.astimezone(UTC)
        remaining = timedelta(minutes=max(0, minutes))
        if mode == ClockMode.AROUND_THE_CLOCK or not remaining:
            return start + remaining
        for opens, closes in self._windows_from(start):
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise ValueError("the calendar has no opening hours to count in")  # pragma: no cover (bounded loop)

    def between(self, start: datetime, end: datetime, mode: ClockMode = ClockMode.OPENING_HOURS) -> timedelta:
        """Working time from `start` to `end`; zero when `end` is not after `start`."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return timedelta(0)
        if mode == ClockMode.AROUND_THE_CLOCK:
            return end - start
        total = timedelta(0)
        for opens, closes in self._windows_from(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total

    def minutes_between(self, start: datetime, end: datetime, mode: ClockMode = ClockMode.OPENING_HOURS) -> int:
        """`between` in whole minutes, rounded down (what a person is shown and a report counts)."""
        return int(self.between(start, end, mode).total_seconds() // 60)

    def _windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Each open day's window (opens, closes) in UTC, from the day of `moment` on, skipping windows
        that ended before it."""
        zone = ZoneInfo(self.hours.timezone)
        day = moment.astimezone(zone).date() - timedelta(days=1)  # a window of the day before may still run
        for _ in range(_MAX_DAYS):
            window = self._window(day, zone)
            day += timedelta(days=1)
            if window is not None and window[1] > moment:
                yield window
        raise ValueError("the calendar has no opening hours within three years")

    def _window(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        if self.hours.is_closed_day(day):
            return None
        opens = datetime.combine(day, self.hours.opens, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.hours.closes, tzinfo=zone).astimezone(UTC)
        return (opens, closes) if closes > opens else None
