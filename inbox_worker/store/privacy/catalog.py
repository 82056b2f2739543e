"""The scrub of every text and JSON column of every table: the person replaced by the pseudonym wherever kept.

Read from the models' metadata, not a list: a table added later is scrubbed too. Rows are found by a cheap
ILIKE on the concatenated text (Scrubber.needles) and then scrubbed in Python; only rows that change are
written. The rows the erasure handles itself (deleted, emptied) are skipped; `forced` rows are scrubbed
whatever the filter says (a colleague's mail quoting the person's lines), `loose` rows also lose the
person's first name (text that is the person's own).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, cast, delete, func, literal, or_, select, tuple_, update
from sqlalchemy.orm import Session

from inbox_worker.domain.privacy import Scrubber
from inbox_worker.store.models import Base

Key = tuple[Any, ...]
# Our own record of erasures: written scrubbed by the erasure itself.
_NOT_SCRUBBED = frozenset({"privacy_erasures"})
# Columns the erasure sets itself (to NULL) where they name the person: not scrubbed to the pseudonym first.
_SET_BY_ERASURE = {"customers": frozenset({"contact_person"}), "devices": frozenset({"user_email"})}
_CHUNK = 500


@dataclass(frozen=True)
class Change:
    table: str
    key: Key
    values: Mapping[str, Any] = field(default_factory=dict)  # column -> scrubbed value
    delete: bool = False  # the person is in the row's key itself (a Message-ID holding their address)


def _text_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(c.type, String | JSON)]


def _scrubbed_columns(table: Table) -> list[Column[Any]]:
    return [c for c in _text_columns(table) if c.name not in _SET_BY_ERASURE.get(table.name, frozenset())]


def _escaped(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching_keys(session: Session, table: Table, needles: list[str]) -> set[Key]:
    columns = _text_columns(table)
    if not columns or not needles:
        return set()
    joined: Any = func.coalesce(cast(columns[0], Text), literal(""))
    for column in columns[1:]:
        joined = joined.concat(" ").concat(func.coalesce(cast(column, Text), literal("")))
    condition = or_(*(joined.ilike(_escaped(needle), escape="\\") for needle in needles))
    primary = list(table.primary_key.columns)
    return {tuple(row) for row in session.execute(select(*primary).where(condition))}


def _rows(session: Session, table: Table, keys: list[Key]) -> Iterator[Any]:
    primary = list(table.primary_key.columns)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        where = primary[0].in_([k[0] for k in chunk]) if len(primary) == 1 else tuple_(*primary).in_(chunk)
        yield from session.execute(select(table).where(where))


def _scrubbed(scrubber: Scrubber, value: Any, loose: bool) -> Any:
    if isinstance(value, str):
        return scrubber.scrub(value, loose=loose)
    return scrubber.scrub_value(value, loose=loose) if isinstance(value, dict | list) else value


def _change(table: Table, row: Any, scrubber: Scrubber, loose: bool) -> Change | None:
    key = tuple(row._mapping[c.name] for c in table.primary_key.columns)
    values: dict[str, Any] = {}
    for column in _scrubbed_columns(table):
        old = row._mapping[column.name]
        new = _scrubbed(scrubber, old, loose)
        if new == old:
            continue
        if column.primary_key:
            return Change(table.name, key, delete=True)
        values[column.name] = new
    return Change(table.name, key, values) if values else None


def scrub_changes(session: Session, scrubber: Scrubber, *, skip: Mapping[str, set[Key]],
                  forced: Mapping[str, set[Key]], loose: Mapping[str, set[Key]]) -> list[Change]:
    """What scrubbing every table would change (nothing is written): one Change per row."""
    needles = scrubber.needles()
    changes: list[Change] = []
    for table in Base.metadata.sorted_tables:
        if table.name in _NOT_SCRUBBED or not _text_columns(table):
            continue
        keys = matching_keys(session, table, needles) | forced.get(table.name, set()) | loose.get(table.name, set())
        keys -= skip.get(table.name, set())
        loose_keys = loose.get(table.name, set())
        for row in _rows(session, table, sorted(keys, key=repr)):
            key = tuple(row._mapping[c.name] for c in table.primary_key.columns)
            change = _change(table, row, scrubber, key in loose_keys)
            if change is not None:
                changes.append(change)
    return changes


def apply_changes(session: Session, changes: list[Change]) -> None:
    tables = Base.metadata.tables
    for change in changes:
        table = tables[change.table]
        where = [column == value for column, value in zip(table.primary_key.columns, change.key, strict=True)]
        if change.delete:
            session.execute(delete(table).where(*where))
            continue
        values = dict(change.values)
        if "version" in table.columns and change.table == "tickets":  # a staff form open on it is out of date now
            values["version"] = table.c.version + 1
        session.execute(update(table).where(*where).values(**values))
