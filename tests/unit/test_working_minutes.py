"""Targets as staff type them: minutes, hours:minutes, Danish hours ("4t", "1t30"); anything else is refused."""

from __future__ import annotations

import pytest

from inbox_worker.domain.working_minutes import parse_working_minutes
from inbox_worker.errors import UserError


@pytest.mark.parametrize("text, minutes", [
    ("90", 90), (" 90 min", 90), ("45m", 45), ("1:30", 90), ("0:05", 5), ("4t", 240), ("1t30", 90),
    ("1 t 30 min", 90), ("2T", 120), ("100000", 100_000),
])
def test_the_forms_staff_type_are_read_as_working_minutes(text: str, minutes: int) -> None:
    assert parse_working_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "0", "0:00", "-5", "1:60", "1t75", "halvanden time", "1.5t", "100001", "1,5"])
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(UserError, match=r"^Løst: "):
        parse_working_minutes(text, "Løst")
