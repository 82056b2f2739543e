"""Opening hours on the Copenhagen clock: weekdays 09-16, Danish public holidays and extra closed days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox_worker.domain.hours import OfficeHours, danish_public_holidays, holiday_name, is_public_holiday

CPH = ZoneInfo("Europe/Copenhagen")
HOURS = OfficeHours(closed_days=("12-24", "2026-12-28"))


# Helligdagsloven as it stands: the fixed days, the days around Easter, and store bededag until 2023.
EASTER_SUNDAY = {2020: date(2020, 4, 12), 2021: date(2021, 4, 4), 2022: date(2022, 4, 17), 2023: date(2023, 4, 9),
                 2024: date(2024, 3, 31), 2025: date(2025, 4, 20), 2026: date(2026, 4, 5), 2027: date(2027, 3, 28),
                 2028: date(2028, 4, 16), 2029: date(2029, 4, 1), 2030: date(2030, 4, 21), 2031: date(2031, 4, 13),
                 2032: date(2032, 3, 28), 2033: date(2033, 4, 17), 2034: date(2034, 4, 9), 2035: date(2035, 3, 25)}


def test_2024_is_the_first_year_without_store_bededag() -> None:
    assert danish_public_holidays(2024) == {
        date(2024, 1, 1): "Nytårsdag", date(2024, 3, 28): "Skærtorsdag", date(2024, 3, 29): "Langfredag",
        date(2024, 3, 31): "Påskedag", date(2024, 4, 1): "Anden påskedag", date(2024, 5, 9): "Kristi himmelfartsdag",
        date(2024, 5, 19): "Pinsedag", date(2024, 5, 20): "Anden pinsedag", date(2024, 12, 25): "Juledag",
        date(2024, 12, 26): "Anden juledag"}
    assert holiday_name(date(2023, 5, 5)) == "Store bededag"  # the fourth Friday after Easter, until 2023
    assert not is_public_holiday(date(2024, 4, 26))


@pytest.mark.parametrize("year, expected", [
    (2026, {date(2026, 1, 1), date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 5), date(2026, 4, 6),
            date(2026, 5, 14), date(2026, 5, 24), date(2026, 5, 25), date(2026, 12, 25), date(2026, 12, 26)}),
    (2027, {date(2027, 1, 1), date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 28), date(2027, 3, 29),
            date(2027, 5, 6), date(2027, 5, 16), date(2027, 5, 17), date(2027, 12, 25), date(2027, 12, 26)}),
])
def test_the_public_holidays_of_a_year(year: int, expected: set[date]) -> None:
    assert set(danish_public_holidays(year)) == expected


@pytest.mark.parametrize("year", sorted(EASTER_SUNDAY))
def test_every_year_2020_to_2035_follows_the_law(year: int) -> None:
    easter = EASTER_SUNDAY[year]
    moving = {-3, -2, 0, 1, 39, 49, 50} | ({26} if year < 2024 else set())  # skærtorsdag ... 2. pinsedag, bededag
    expected = {date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)} | {easter + timedelta(days=d) for d in moving}
    assert set(danish_public_holidays(year)) == expected


@pytest.mark.parametrize("day", [date(2026, 6, 5), date(2026, 5, 1), date(2026, 12, 24), date(2026, 12, 31)])
def test_days_off_by_custom_are_not_public_holidays_but_closed_days_can_close_them(day: date) -> None:
    # grundlovsdag, 1 May, juleaftensdag, nytårsaftensdag: not helligdage by law; `company.closed_days` closes them.
    assert not is_public_holiday(day) and holiday_name(day) is None
    assert not OfficeHours().is_closed_day(day)  # each a weekday in 2026
    assert OfficeHours(closed_days=(f"{day:%m-%d}",)).is_closed_day(day)


@pytest.mark.parametrize("local, is_open", [
    (datetime(2026, 11, 27, 15, 59), True),    # Friday 15:59
    (datetime(2026, 11, 27, 16, 0), False),    # Friday 16:00: closed
    (datetime(2026, 11, 30, 9, 0), True),      # Monday 09:00
    (datetime(2026, 11, 30, 8, 59), False),
    (datetime(2026, 11, 28, 12, 0), False),    # Saturday
    (datetime(2026, 4, 6, 10, 0), False),      # 2. påskedag
    (datetime(2023, 5, 5, 10, 0), False),      # store bededag 2023, a Friday
    (datetime(2024, 4, 26, 10, 0), True),      # the same Friday in 2024: a working day since the abolition
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
