"""Time as staff type it, in the web form and on the command line alike (features/tickets/durations.py)."""

from __future__ import annotations

from datetime import date

import pytest

from inbox_worker.errors import UserError
from inbox_worker.features.tickets.durations import parse_day, parse_minutes


@pytest.mark.parametrize("typed, minutes", [
    ("90", 90), ("1:30", 90), ("0:45", 45), ("1t30m", 90), ("1 t 30 min", 90), ("2t", 120), ("1T5M", 65),
    ("45 min", 45), ("45m", 45), ("24:00", 1440),
])
def test_minutes_are_read_as_staff_write_them(typed: str, minutes: int) -> None:
    assert parse_minutes(typed) == minutes


def test_a_correction_may_take_time_away_only_when_signed() -> None:
    assert parse_minutes("-15", signed=True) == -15
    assert parse_minutes("-1:30", signed=True) == -90
    with pytest.raises(UserError, match="Skriv tiden i hele minutter"):
        parse_minutes("-15")


@pytest.mark.parametrize("typed, says", [
    ("en halv time", "Skriv tiden i hele minutter"), ("1:75", "Skriv tiden"), ("1t75m", "Skriv tiden"),
    ("1,5", "Skriv tiden"), ("", "Skriv tiden"), ("0", "mellem 1 og 1440 minutter"), ("0:00", "mellem 1 og 1440"),
    ("2000", "mellem 1 og 1440 minutter"), ("24:01", "mellem 1 og 1440"),
])
def test_anything_else_is_refused_naming_what_was_typed(typed: str, says: str) -> None:
    with pytest.raises(UserError, match=says) as refused:
        parse_minutes(typed)
    assert repr(typed) in str(refused.value)


def test_a_work_date_may_be_iso_or_danish_and_empty_means_today() -> None:
    assert parse_day("2026-05-04") == parse_day("04.05.2026") == parse_day("4.5.2026") == date(2026, 5, 4)
    assert parse_day("") is None
    with pytest.raises(UserError, match=r"dd\.mm\.åååå"):
        parse_day("31.02.2026")
