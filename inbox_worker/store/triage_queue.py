"""The web UI's triage queue: filtered, ordered (needing a look first, then priority, then age), paged, counted.

One query for the page, one for the total and one GROUP BY per filter for its counts, each served by
the indexes of migration 0003; customer names from one read of the (small) customer table, no per-row query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from .models import Customer, Ticket
from .triage import PRIORITIES

_NUMBER = re.compile(r"^#?(\d{1,9})$")
FACETS = ("status", "customer", "category", "coverage", "priority")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # "" means every status
    customer: str = ""  # customer key
    category: str = ""
    coverage: str = ""
    priority: str = ""
    assignee: str = ""  # staff initials ("mine")
    search: str = ""
    page: int = 1

    def without(self, facet: str) -> QueueFilter:
        values: dict[str, Any] = {facet: ""}
        return replace(self, **values)


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, Any]]
    total: int
    counts: dict[str, list[tuple[str, str, int]]]  # facet -> (value, label, count)


def _search(text: str) -> ColumnElement[bool]:
    text = text.strip()[:200]
    number = _NUMBER.match(text)
    # PostgreSQL's ILIKE folds every letter; SQLite's only ASCII, so æ/ø/å are also tried in both cases.
    variants = dict.fromkeys((text, text.lower(), text.upper()))
    matches = [column.icontains(variant, autoescape=True) for variant in variants
               for column in (Ticket.subject, Ticket.from_address)]
    if number:
        matches.append(Ticket.id == int(number.group(1)))
    return or_(*matches)


def _conditions(session: Session, f: QueueFilter, customer_ids: dict[str, int]) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Ticket.merged_into_id.is_(None)]
    if f.status:
        where.append(Ticket.status == f.status)
    if f.customer:
        where.append(Ticket.customer_id == customer_ids[f.customer] if f.customer in customer_ids else false())
    if f.category:
        where.append(Ticket.category == f.category)
    if f.coverage:
        where.append(Ticket.coverage_status == f.coverage)
    if f.priority:
        where.append(Ticket.priority_rank == (PRIORITIES.index(f.priority) if f.priority in PRIORITIES else -1))
    if f.assignee:
        where.append(Ticket.assignee == f.assignee)
    if f.search.strip():
        where.append(_search(f.search))
    return where


_FACET_COLUMN: dict[str, Any] = {"status": Ticket.status, "customer": Ticket.customer_id, "category": Ticket.category,
                 "coverage": Ticket.coverage_status, "priority": Ticket.priority_rank}


def _counts(session: Session, f: QueueFilter, customers: dict[int, tuple[str, str]],
            customer_ids: dict[str, int]) -> dict[str, list[tuple[str, str, int]]]:
    """Per filter, each value with the number of tickets it would show given the other filters."""
    result: dict[str, list[tuple[str, str, int]]] = {}
    for facet in FACETS:
        column = _FACET_COLUMN[facet]
        query = select(column, func.count()).where(*_conditions(session, f.without(facet), customer_ids))
        values = []
        for value, count in session.execute(query.group_by(column)).all():
            if facet == "customer":  # tickets without a customer have no filter value of their own
                key, label = customers.get(value, ("", "")) if value is not None else ("", "")
                if key:
                    values.append((key, label, count))
            elif facet == "priority":
                values.append((PRIORITIES[int(value)], PRIORITIES[int(value)], count))
            else:
                values.append((str(value), str(value), count))
        result[facet] = sorted(values, key=lambda v: v[1].lower() if facet == "customer" else v[0])
    return result


def queue_page(session: Session, f: QueueFilter, page_size: int) -> QueuePage:
    customers = {row.id: (row.key, row.name) for row in session.execute(select(Customer.id, Customer.key,
                                                                                Customer.name))}
    customer_ids = {key: cid for cid, (key, _) in customers.items()}
    where = _conditions(session, f, customer_ids)
    total = session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    query = (select(Ticket.id, Ticket.subject, Ticket.status, Ticket.from_address, Ticket.category, Ticket.priority,
                    Ticket.coverage_status, Ticket.review, Ticket.look_rank, Ticket.assignee, Ticket.created_at,
                    Ticket.updated_at, Ticket.customer_id)
             .where(*where)
             .order_by(Ticket.look_rank, Ticket.priority_rank, Ticket.created_at, Ticket.id)
             .limit(page_size).offset(max(f.page - 1, 0) * page_size))
    rows = []
    for row in session.execute(query):
        key, name = customers.get(row.customer_id, (None, None)) if row.customer_id else (None, None)
        rows.append({**row._asdict(), "customer_key": key, "customer_name": name})
    return QueuePage(rows, total, _counts(session, f, customers, customer_ids))
