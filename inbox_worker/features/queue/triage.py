"""The web UI's triage queue: filtered, ordered (needing a look first, then priority, then age; or by the
nearest due moment), paged, counted.

Two queries per page. One GROUP BY over every filter column (an index-only scan of ix_tickets_facets
when no search is given) yields the total and, for each filter, the count of each of its values given
the other filters, computed from those groups in Python. "Overskredet" (a promise of an open or waiting
ticket is past due) is one of those filters: each group also counts its tickets whose next_due_at (the
last column of that index) is before `now`. The other query reads the page itself, in the order of
ix_tickets_queue, or of ix_tickets_due by the nearest due moment (no open promise last). Customer names
come from one read of the (small) customer table. Merged tickets are closed, so they leave the open
queue like any closed ticket. Only the page's rows carry their clocks; nothing here counts working time.

A search counts its matches only up to SEARCH_COUNT_LIMIT: counting every ticket a common word finds (half
the tickets have "virker") was most of what such a page cost, and a number past a thousand tells staff only
to search more precisely. The page itself is exact (the best matches first, ranked over all of them); past
the limit the counts are not shown, the filters list what the queue holds without the search, and the pager
says whether a page follows (GitHub and GitLab cap their search counts alike).
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, Select, Subquery, any_, bindparam, case, func, select, text
from sqlalchemy.orm import Session

from inbox_worker.features.queue import search
from inbox_worker.features.queue.rows import contact_names, last_entries
from inbox_worker.store.models import Customer, Ticket
from inbox_worker.store.queue_columns import PRIORITIES
from inbox_worker.store.response import CLOCK_COLUMNS, clocks_of

FACETS = ("status", "customer", "category", "coverage", "priority")
_GROUP_COLUMNS = (Ticket.status, Ticket.customer_id, Ticket.category, Ticket.coverage_status, Ticket.priority_rank)
RUNNING = ("open", "waiting")  # the statuses whose promises can be overdue (a closed ticket's are settled)
SEARCH_COUNT_LIMIT = 1000  # a search's matches are counted up to this many (see above)


class QueueSort(enum.StrEnum):
    TRIAGE = ""  # needing a look first, then priority, then age
    DUE = "due"  # the nearest due moment first (the most overdue at the top), no open promise last


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # "" means every status
    customer: str = ""  # customer key
    category: str = ""
    coverage: str = ""
    priority: str = ""
    assignee: str = ""  # staff initials ("mine")
    search: str = ""
    overdue: bool = False  # "overskredet": only tickets with a promise past due
    sort: QueueSort = QueueSort.TRIAGE
    page: int = 1

    def without(self, facet: str) -> QueueFilter:
        values: dict[str, Any] = {facet: False if facet == "overdue" else ""}
        return replace(self, **values)


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, Any]]
    total: int  # past the search's count limit: the limit (`capped`)
    counts: dict[str, list[tuple[str, str, int]]]  # facet -> (value, label, count); capped: the count is 0
    capped: bool = False  # the search matches more than SEARCH_COUNT_LIMIT: total and counts are not known
    has_next: bool = False  # a page follows this one


def _search(text: str, dialect: str) -> Subquery:
    """(ticket_id, rank) of what a search finds: ranked full text (features/queue/search.py)."""
    return search.hits(text, dialect)


def _facet_values(f: QueueFilter, customer_ids: dict[str, int]) -> dict[str, Any]:
    """The chosen value of each filter as stored in its column (None: not filtered)."""
    return {
        "status": f.status or None,
        "customer": customer_ids.get(f.customer, -1) if f.customer else None,
        "category": f.category or None,
        "coverage": f.coverage or None,
        "priority": (PRIORITIES.index(f.priority) if f.priority in PRIORITIES else -1) if f.priority else None,
    }


def _overdue(now: datetime) -> list[ColumnElement[bool]]:
    return [Ticket.status.in_(RUNNING), Ticket.next_due_at < now]


def _grouped(session: Session, others: list[ColumnElement[bool]], now: datetime) -> list[tuple[Any, ...]]:
    """(status, customer, category, coverage, priority rank, count, overdue count) groups, from one index-only
    scan of ix_tickets_facets: each group of the five filter columns counts its tickets past due as it goes."""
    past_due = func.count(case((Ticket.next_due_at < now, 1)))
    query = select(*_GROUP_COLUMNS, func.count(), past_due).where(*others).group_by(*_GROUP_COLUMNS)
    return [(*values, count, late if values[0] in RUNNING else 0)
            for *values, count, late in session.execute(query)]


def _other_conditions(f: QueueFilter) -> list[ColumnElement[bool]]:
    """The condition besides the five filters and the search: "mine"."""
    return [Ticket.assignee == f.assignee] if f.assignee else []


def _search_sample(session: Session, f: QueueFilter, hits: Subquery, limit: int) -> list[int]:
    """At most `limit` + 1 of the search's matches under "mine", in no order: the scan stops there, so a
    common word costs no more to count than a rare one. More than `limit` of them: the search is capped."""
    sample = select(Ticket.id).join(hits, hits.c.ticket_id == Ticket.id).where(*_other_conditions(f))
    return list(session.scalars(sample.limit(limit + 1)))


def _among(ids: list[int], dialect: str) -> ColumnElement[bool]:
    """Ticket.id among `ids`, looked up by the primary key (a subquery had the database scan every ticket to
    join them); on PostgreSQL as one array parameter, not a thousand."""
    if dialect == "postgresql":
        return Ticket.id == any_(bindparam("sample_ids", ids, type_=ARRAY(Integer)))
    return Ticket.id.in_(ids)


def _label(facet: str, value: Any, customers: dict[int, tuple[str, str]]) -> tuple[str, str] | None:
    if facet == "customer":  # tickets without a customer have no filter value of their own
        return customers.get(value) if value is not None else None
    if facet == "priority":
        return PRIORITIES[int(value)], PRIORITIES[int(value)]
    return str(value), str(value)


def _counts(groups: list[Any], chosen: dict[str, Any], overdue: bool,
            customers: dict[int, tuple[str, str]]) -> tuple[int, dict[str, list[tuple[str, str, int]]]]:
    """(total, per filter: each value with how many tickets it would show given the other filters).

    "Overskredet" has one value to choose: its count is of the tickets past due under the five others."""
    total, late_total, per_facet = 0, 0, {facet: Counter[Any]() for facet in FACETS}
    for *values, count, late in groups:
        shown = late if overdue else count  # under every filter but the five
        misses = [facet for facet, value in zip(FACETS, values, strict=True)
                  if chosen[facet] is not None and value != chosen[facet]]
        if not misses:
            total, late_total = total + shown, late_total + late
        for facet, value in zip(FACETS, values, strict=True):
            if not misses or misses == [facet]:
                per_facet[facet][value] += shown
    result: dict[str, list[tuple[str, str, int]]] = {"overdue": [("1", "overdue", late_total)] if late_total else []}
    for facet, counter in per_facet.items():
        labelled = [(*label, n) for value, n in counter.items() if n and (label := _label(facet, value, customers))]
        result[facet] = sorted(labelled, key=lambda v: v[1].lower() if facet == "customer" else v[0])
    return total, result


# The default queue's order (needing a look first, then priority, then age, then number): the queue page
# and "Gem og næste" (web/queue_next.py) walk it alike.
TRIAGE_ORDER = (Ticket.look_rank, Ticket.priority_rank, Ticket.created_at, Ticket.id)


def _order(sort: QueueSort, hits: Subquery | None = None) -> tuple[Any, ...]:
    if sort == QueueSort.DUE:
        return Ticket.next_due_at.asc().nulls_last(), Ticket.id
    if hits is not None:  # a search without a chosen sort: the best match first
        return hits.c.rank, Ticket.id
    return TRIAGE_ORDER


def _found(query: Select[Any], hits: Subquery | None) -> Select[Any]:
    """`query` over what the search found, with its rank (unchanged without a search)."""
    return query if hits is None else query.join(hits, hits.c.ticket_id == Ticket.id)


def _ranked(session: Session, numbers: Select[Any]) -> list[int]:
    """The search's page of numbers, best first. PostgreSQL is told to find the matches by the GIN index:
    when a word is in many documents its planner takes testing every document for as cheap, but at 50,000
    tickets that takes 55 ms and the index 30 (open tickets; over every status 53 and 48 ms)."""
    if session.get_bind().dialect.name != "postgresql":
        return list(session.scalars(numbers))
    session.execute(text("SET LOCAL enable_seqscan = off"))  # this statement only (a failed one ends the
    found = list(session.scalars(numbers))                     # transaction, and SET LOCAL with it)
    session.execute(text("SET LOCAL enable_seqscan = on"))
    return found


def queue_page(session: Session, f: QueueFilter, page_size: int, now: datetime,
               search_count_limit: int | None = None) -> QueuePage:
    """The page of the queue under `f`; `now` decides what is overdue. Each row carries its `clocks`
    (None for a ticket from before the clocks). A search counts at most `search_count_limit` matches
    (SEARCH_COUNT_LIMIT when not given)."""
    if search_count_limit is None:
        search_count_limit = SEARCH_COUNT_LIMIT
    customers = {row.id: (row.key, row.name) for row in session.execute(select(Customer.id, Customer.key,
                                                                                Customer.name))}
    chosen = _facet_values(f, {key: cid for cid, (key, _) in customers.items()})
    hits = _search(f.search, session.get_bind().dialect.name) if f.search.strip() else None
    sample = _search_sample(session, f, hits, search_count_limit) if hits is not None else None
    capped = sample is not None and len(sample) > search_count_limit
    if sample is None or capped:  # capped: the filters' values as the queue holds them (shown without numbers)
        groups = _grouped(session, _other_conditions(f), now)
    else:
        groups = _grouped(session, [*_other_conditions(f), _among(sample, session.get_bind().dialect.name)], now)
    total, counts = _counts(groups, chosen, f.overdue, customers)
    where = [*_other_conditions(f), *(column == chosen[facet] for facet, column in zip(
        FACETS, _GROUP_COLUMNS, strict=True) if chosen[facet] is not None), *(_overdue(now) if f.overdue else ())]
    # The page's numbers first, then only their rows in full: a deep page (or a sort over what a search found)
    # orders and skips narrow rows, not subjects, review flags and clocks. A search reads one number more, to
    # know whether a page follows when its total is not counted.
    numbers = (_found(select(Ticket.id), hits).where(*where).order_by(*_order(f.sort, hits))
               .limit(page_size + (hits is not None)).offset(max(f.page - 1, 0) * page_size))
    # A search's page keeps its numbers' order (by rank) without searching a second time.
    ranked = _ranked(session, numbers) if hits is not None else None
    has_next = len(ranked) > page_size if ranked is not None else f.page * page_size < total
    if ranked is not None:
        ranked = ranked[:page_size]
    query = (select(Ticket.id, Ticket.subject, Ticket.status, Ticket.from_address, Ticket.category, Ticket.priority,
                    Ticket.coverage_status, Ticket.review, Ticket.look_rank, Ticket.assignee, Ticket.created_at,
                    Ticket.updated_at, Ticket.customer_id, Ticket.next_due_at, Ticket.contact_email, Ticket.version,
                    *CLOCK_COLUMNS)
             .where(Ticket.id.in_(numbers.scalar_subquery() if ranked is None else ranked)).order_by(*_order(f.sort)))
    found = list(session.execute(query))
    if ranked is not None:
        position = {number: place for place, number in enumerate(ranked)}
        found.sort(key=lambda row: position[row.id])
    rows = []
    for row in found:
        key, name = customers.get(row.customer_id, (None, None)) if row.customer_id else (None, None)
        rows.append({**row._asdict(), "customer_key": key, "customer_name": name, "clocks": clocks_of(row)})
    _add_row_extras(session, rows)
    if capped:
        counts = {facet: [(value, text, 0) for value, text, _ in values] for facet, values in counts.items()}
        counts["overdue"] = []
        total = search_count_limit
    return QueuePage(rows, total, counts, capped, has_next)


def _add_row_extras(session: Session, rows: list[dict[str, Any]]) -> None:
    """What a row shows beyond the ticket's columns, for the page's rows only (one query each): the last
    entry (its first words, when), the contact's name, and since when the ticket waits for the customer."""
    entries = last_entries(session, [row["id"] for row in rows])
    names = contact_names(session, [row["contact_email"] for row in rows])
    for row in rows:
        entry = entries.get(row["id"])
        row["last_entry"] = entry
        row["contact_name"] = names.get(row["contact_email"] or "")
        # The clocks' pause began when it started waiting; a ticket from before the clocks has its last change.
        row["waiting_since"] = (row["paused_at"] or row["updated_at"]) if row["status"] == "waiting" else None
        row["last_activity"] = max(filter(None, (row["updated_at"], entry.at if entry else None)))
