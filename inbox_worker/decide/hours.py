"""MICO's opening hours: is a moment inside them? Pure (the caller passes the moment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class OfficeHours:
    timezone: str = "Europe/Copenhagen"
    opens: time = time(9, 0)
    closes: time = time(16, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        return local.weekday() in self.weekdays and self.opens <= local.time() < self.closes
