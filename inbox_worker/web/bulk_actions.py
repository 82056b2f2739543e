"""POST /bulk: one action on the tickets ticked in the queue (assign, status, priority, merge), all or nothing.

The queue's form sends the ticked numbers (`ticket`), each row's version (`version-<n>`), the moment the
page was loaded and the queue view it came from (`back`), where staff return to with a Danish summary. A
ticket that changed since the page was loaded refuses the whole action (features/tickets/bulk.py).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from inbox_worker.features.tickets.bulk import MAX_TICKETS, BulkRequest, apply
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.web.context import db, now, staff, web
from inbox_worker.web.ticket_actions import clock_setup

bp = Blueprint("bulk", __name__)
_BACK = re.compile(r"^/(\?[^\s\\]*)?$")  # the queue, with its filters: never another site ("//host")


def _back() -> str:
    back = request.form.get("back", "")
    return back if _BACK.match(back) and not back.startswith("//") else "/"


def _request() -> BulkRequest:
    action = request.form.get("action", "")
    numbers = [int(n) for n in request.form.getlist("ticket")[:MAX_TICKETS + 1] if n.strip().isdigit()]
    versions = {n: request.form.get(f"version-{n}", "") for n in numbers}
    value = request.form.get({"assign": "assignee", "status": "status", "priority": "priority",
                              "merge": "into"}.get(action, ""), "")
    return BulkRequest(action, numbers, versions, value.strip()[:32])


@bp.post("/bulk")
def bulk() -> Response:
    session, zone = db(), ZoneInfo(web().settings.company.timezone)
    try:
        done = apply(session, _request(), staff().initials, now(), clock_setup(), request.form.get("loaded_at"),
                     zone)
        session.commit()
        flash(done, "ok")
    except StaleDataError:  # a ticket changed between the version check and the write
        session.rollback()
        flash("En af de valgte sager blev ændret imens. Ingen af sagerne er ændret: prøv igen.", "error")
    except ActionError as exc:  # StaleTicket too: its message names the ticket
        session.rollback()
        flash(f"{exc} Ingen af de valgte sager er ændret.", "error")
    return redirect(_back())
