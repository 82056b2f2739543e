"""A customer's special agreements ("Andre aftaler") from the registry: extra covered devices, categories, visits.

Registry syntax, one table per exception, each with exactly one kind and an optional note:

    exceptions = [
      { covered_device = "BAG-NAS-01", note = "NAS'en er dækket efter aftale af 10. januar 2026" },
      { covered_category = "software" },
      { visits_per_year = 4 },
    ]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inbox_worker.domain.vocabulary import CATEGORIES

KINDS = ("covered_device", "covered_category", "visits_per_year")


def exception_error(row: Any) -> str | None:
    """Why one exception table is invalid, or None when it is fine (used by the registry import)."""
    if not isinstance(row, dict):
        return "each exception must be a table, e.g. { covered_device = \"TAG\" }"
    unknown = set(row) - {*KINDS, "note"}
    if unknown:
        return f"unknown exception field '{sorted(unknown)[0]}' (known: {', '.join(KINDS)}, note)"
    kinds = [kind for kind in KINDS if kind in row]
    if len(kinds) != 1:
        return f"each exception needs exactly one of {', '.join(KINDS)}"
    value = row[kinds[0]]
    if kinds[0] == "covered_device" and not (isinstance(value, str) and value.strip()):
        return "'covered_device' must be a device tag"
    if kinds[0] == "covered_category" and value not in CATEGORIES:
        return f"'covered_category' must be one of {', '.join(CATEGORIES)}, not {value!r}"
    if kinds[0] == "visits_per_year" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return "'visits_per_year' must be a whole number, 0 or more"
    if "note" in row and not isinstance(row["note"], str):
        return "'note' must be a string"
    return None


@dataclass(frozen=True)
class CustomerExceptions:
    """The parsed special agreements of one customer (tags upper-case, notes by what they are about)."""

    covered_devices: frozenset[str] = frozenset()
    covered_categories: frozenset[str] = frozenset()
    visits_per_year: int | None = None
    notes: Mapping[str, str] = field(default_factory=dict)  # by "device:TAG", "category:X" or "visits"

    @classmethod
    def parse(cls, rows: Iterable[Mapping[str, Any]]) -> CustomerExceptions:
        devices, categories, notes = set(), set(), {}
        visits = None
        for row in rows:
            if exception_error(dict(row)) is not None:
                continue  # the registry import refuses these; an old database row is ignored, not fatal
            note = str(row.get("note", "")).strip()
            if "covered_device" in row:
                key = f"device:{str(row['covered_device']).strip().upper()}"
                devices.add(key.partition(":")[2])
            elif "covered_category" in row:
                key = f"category:{row['covered_category']}"
                categories.add(str(row["covered_category"]))
            else:
                key, visits = "visits", int(row["visits_per_year"])
            if note:
                notes[key] = note
        return cls(frozenset(devices), frozenset(categories), visits, notes)

    def note(self, key: str) -> str:
        return self.notes.get(key, "")
