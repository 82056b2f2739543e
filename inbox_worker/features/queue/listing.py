"""The ticket queue as a readable fixed-width table for the terminal."""

from __future__ import annotations

from typing import Any

COLUMNS = (("#", "ticket", 5), ("kunde", "customer", 13), ("afsender", "from", 30), ("emne", "subject", 38),
           ("kategori", "category", 9), ("prioritet", "priority", 9), ("dækning", "coverage", 12),
           ("udfald", "last_outcome", 15))


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if key == "coverage":
        value = (value or {}).get("status")
    if key == "ticket":
        value = f"#{value}"
    return "–" if value in (None, "") else str(value)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def queue_table(rows: list[dict[str, Any]]) -> str:
    lines = ["  ".join(_fit(title, width).ljust(width) for title, _, width in COLUMNS)]
    lines.append("  ".join("-" * width for _, _, width in COLUMNS))
    for row in rows:
        lines.append("  ".join(_fit(_cell(row, key), width).ljust(width) for _, key, width in COLUMNS).rstrip())
    lines.append(f"{len(rows)} sager")
    return "\n".join(lines)
