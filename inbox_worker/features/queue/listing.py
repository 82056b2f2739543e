"""The ticket queue as a readable fixed-width table for the terminal, in Danish (`tickets list`, `demo`)."""

from __future__ import annotations

from typing import Any

from inbox_worker.domain.labels import count, label
from inbox_worker.domain.text_table import table

# (heading, the row's key, the label table its values are shown with, widest allowed)
COLUMNS = (("#", "ticket", None, 6), ("status", "status", "status", 14), ("kunde", "customer", None, 13),
           ("afsender", "from", None, 30), ("emne", "subject", None, 40), ("kategori", "category", "category", 14),
           ("prioritet", "priority", "priority", 9), ("dækning", "coverage", "coverage", 10),
           ("seneste mail", "last_outcome", "outcome", 16))


def _value(row: dict[str, Any], key: str, kind: str | None) -> object:
    value = row.get(key)
    if key == "coverage":
        value = (value or {}).get("status")
    if key == "ticket":
        return f"#{value}"
    return label(value, kind) if kind and value else value


def queue_table(rows: list[dict[str, Any]]) -> str:
    lines = table([(title, width) for title, _, _, width in COLUMNS],
                  [[_value(row, key, kind) for _, key, kind, _ in COLUMNS] for row in rows])
    return "\n".join([*lines, count(len(rows), "sag", "sager")])
