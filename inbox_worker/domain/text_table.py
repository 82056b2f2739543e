"""Fixed-width text tables for the terminal: columns as wide as their widest cell up to a cap, cut with "…"."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

EMPTY = "–"


def cell(value: object) -> str:
    """One line of text for a cell: composed characters (an "å" is one), no line breaks or tabs, "–" when empty."""
    text = "" if value is None else str(value)
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return "".join(char for char in text if unicodedata.category(char)[0] != "C") or EMPTY


def fit(text: str, width: int) -> str:
    """The text cut to `width` characters, the last one "…" when something was cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def table(columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[object]]) -> list[str]:
    """Header, rule and one line per row; `columns` are (title, widest allowed); trailing spaces trimmed."""
    cells = [[cell(value) for value in row] for row in rows]
    widths = [max([len(title), *(len(row[index]) for row in cells)]) for index, (title, _) in enumerate(columns)]
    widths = [min(width, cap) for width, (_, cap) in zip(widths, columns, strict=True)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(fit(value, width).ljust(width) for value, width in zip(values, widths, strict=True)).rstrip()

    return [line([title for title, _ in columns]), line(["-" * width for width in widths]), *map(line, cells)]
