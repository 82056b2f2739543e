"""Every stored copy of a mail: the copies of it (duplicates), the copies it replaced (superseded), and theirs."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import RawMessage


def with_copies(session: Session, raw_ids: Iterable[int]) -> set[int]:
    """`raw_ids` and every row that is a copy of one of them or that one of them is a copy of, transitively:
    what holds a person's mail holds it in each copy."""
    found = set(raw_ids)
    frontier = set(found)
    while frontier:
        chunk = sorted(frontier)
        rows = session.execute(select(RawMessage.id, RawMessage.duplicate_of_id, RawMessage.superseded_by_id).where(
            or_(RawMessage.id.in_(chunk), RawMessage.duplicate_of_id.in_(chunk),
                RawMessage.superseded_by_id.in_(chunk))))
        linked = {int(value) for row in rows for value in row if value is not None}
        frontier = linked - found
        found |= linked
    return found
