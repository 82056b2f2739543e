"""Opening hours on the Copenhagen clock: weekdays 09-16, Danish public holidays and extra closed days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from inbox_worker.domain.hours import OfficeHours, danish_public_holidays, easter_sunday

CPH = ZoneInfo("Europe/Copenhagen")
HOURS = OfficeHours(closed_days=("12-24", "2026-12-28"))


@pytest.mark.parametrize("year, easter", [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                          (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))])
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_danish_public_holidays_2026() -> None:
    assert danish_public_holidays(2026) == {
        date(2026, 1, 1), date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 5), date(2026, 4, 6),
        date(2026, 5, 14), date(2026, 5, 24), date(2026, 5, 25), date(2026, 12, 25), date(2026, 12, 26)}
    assert date(2023, 5, 5) in danish_public_holidays(2023)  # store bededag, before it was abolished


@pytest.mark.parametrize("local, is_open", [
    (datetime(2026, 11, 27, 15, 59), True),    # Friday 15:59
    (datetime(2026, 11, 27, 16, 0), False),    # Friday 16:00: closed
    (datetime(2026, 11, 30, 9, 0), True),      # Monday 09:00
    (datetime(2026, 11, 30, 8, 59), False),
    (datetime(2026, 11, 28, 12, 0), False),    # Saturday
    (datetime(2026, 4, 6, 10, 0), False),      # 2. påskedag
    (datetime(2026, 12, 24, 10, 0), False),    # closed every year by configuration
    (datetime(2026, 12, 28, 10, 0), False),    # closed once by configuration
    (datetime(2027, 12, 28, 10, 0), True),
])
def test_open_on_the_copenhagen_clock(local: datetime, is_open: bool) -> None:
    assert HOURS.is_open(local.replace(tzinfo=CPH)) is is_open


def test_the_clock_is_copenhagen_whatever_the_mail_says() -> None:
    # 08:30 UTC in winter is 09:30 in Copenhagen; in summer (CEST) 07:30 UTC is 09:30.
    assert HOURS.is_open(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    assert not HOURS.is_open(datetime(2026, 11, 26, 7, 30, tzinfo=UTC))
    assert HOURS.is_open(datetime(2026, 6, 25, 7, 30, tzinfo=UTC))
    assert HOURS.opens == time(9, 0)
