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
        return "hver undtagelse skal være en tabel, fx { covered_device = \"TAG\" }"
    unknown = set(row) - {*KINDS, "note"}
    if unknown:
        return f"ukendt felt i undtagelsen: '{sorted(unknown)[0]}' (kendte: {', '.join(KINDS)}, note)"
    kinds = [kind for kind in KINDS if kind in row]
    if len(kinds) != 1:
        return f"hver undtagelse skal have præcis ét af {', '.join(KINDS)}"
    value = row[kinds[0]]
    if kinds[0] == "covered_device" and not (isinstance(value, str) and value.strip()):
        return "'covered_device' skal være et enhedsmærke"
    if kinds[0] == "covered_category" and value not in CATEGORIES:
        return f"'covered_category' skal være en af {', '.join(CATEGORIES)}, ikke {value!r}"
    if kinds[0] == "visits_per_year" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return "'visits_per_year' skal være et helt tal, 0 eller mere"
    if "note" in row and not isinstance(row["note"], str):
        return "'note' skal være en tekst"
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
