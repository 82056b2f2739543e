"""The triage queue page `/`: filters, search, sorting, paging, counts per filter value and each row's deadline;
one line per ticket, with checkboxes for the bulk actions (bulk_actions.py) around the table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from inbox_worker.domain.types import TicketStatus
from inbox_worker.domain.vocabulary import PRIORITIES
from inbox_worker.features.queue.search import ticket_named
from inbox_worker.features.queue.triage import FACETS, QueueFilter, QueueSort, queue_page
from inbox_worker.store.models import Staff
from inbox_worker.web.clock_text import due_cell
from inbox_worker.web.context import db, now, staff, web

bp = Blueprint("queue", __name__)
_STATUSES = ("open", "waiting", "closed", "")


def _filter_from(args: Any) -> QueueFilter:
    status = args.get("status", "open")
    try:
        page = max(1, min(int(args.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    mine = args.get("mine") == "1"
    sort = args.get("sort", "")
    return QueueFilter(
        status=status if status in _STATUSES else "open", customer=args.get("customer", "")[:64],
        category=args.get("category", "")[:32], coverage=args.get("coverage", "")[:16],
        priority=args.get("priority", "")[:16], assignee=staff().initials if mine else "",
        search=args.get("q", "")[:200], overdue=args.get("overdue") == "1",
        sort=QueueSort(sort) if sort in set(QueueSort) else QueueSort.TRIAGE, page=page)


def _link(f: QueueFilter, **changes: Any) -> str:
    """The queue URL of `f` with some values changed (a changed filter starts again on page 1)."""
    values = {"status": f.status, "customer": f.customer, "category": f.category, "coverage": f.coverage,
              "priority": f.priority, "mine": "1" if f.assignee else "", "overdue": "1" if f.overdue else "",
              "q": f.search, "sort": f.sort.value, "page": f.page}
    values.update(changes)
    if "page" not in changes:
        values["page"] = 1
    query = {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}
    if values["status"] == "":
        query["status"] = ""
    return "/?" + urlencode(query) if query else "/"


@bp.get("/")
def queue() -> str | Response:
    if (number := ticket_named(db(), request.args.get("q", "")[:200])) is not None:  # "#123" jumps to it
        return redirect(f"/tickets/{number}")
    f = _filter_from(request.args)
    context, moment = web(), now()
    size = context.settings.web.page_size
    result = queue_page(db(), f, size, moment)
    zone = ZoneInfo(context.settings.company.timezone)
    for row in result.rows:  # working time for the page's rows only
        row["due"] = due_cell(row["clocks"], moment, context.calendar, zone)
        row["activity"] = short_moment(row["last_activity"], moment, zone)
        row["waiting"] = waiting_text(row["waiting_since"], moment) if row["waiting_since"] else ""
    pages = max(1, (result.total + size - 1) // size)
    members = db().execute(select(Staff.initials, Staff.name).where(Staff.active.is_(True))
                           .order_by(Staff.initials)).all()
    return render_template("queue.html", f=f, result=result, facets=FACETS, pages=pages, link=_link,
                           sorts=QueueSort, members=members, me=staff().initials, back=_link(f, page=f.page),
                           statuses=[status.value for status in TicketStatus], priorities=PRIORITIES,
                           loaded_at=moment.isoformat())


_WEEKDAYS = ("man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn.")


def short_moment(at: datetime | None, now: datetime, zone: ZoneInfo) -> str:
    """A moment in few characters for a one-line row: '14:05' today, 'i går 09:12', 'tir. 09:12' within the
    week, '3.11.' this year, '3.11.2024' before."""
    if at is None:
        return "–"
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    days = (today - local.date()).days
    if days == 0:
        return f"{local:%H:%M}"
    if days == 1:
        return f"i går {local:%H:%M}"
    if 1 < days < 7:
        return f"{_WEEKDAYS[local.weekday()]} {local:%H:%M}"
    return f"{local.day}.{local.month}." + ("" if local.year == today.year else str(local.year))


def waiting_text(since: datetime, now: datetime) -> str:
    """How long a ticket has waited for the customer, in real time: 'venter 3 t', 'venter 2 d'."""
    hours = max(0, int((now - since) / timedelta(hours=1)))
    return f"venter {hours} t" if hours < 48 else f"venter {hours // 24} d"
