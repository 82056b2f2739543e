"""Two people, one ticket: "også åben hos" on the ticket page, and the heartbeat its script sends.

Showing the page marks it open for the viewer (store/presence.py), in the transaction that records the view
in the access log (web/access.py, called by the page); the page names the others who have it open. With
JavaScript (static/presence.js) the page reports in every 30 seconds and learns who else is there and
whether the ticket changed meanwhile (its version), so staff see a colleague's change before they act on an
old page; acting on one is refused anyway (web/ticket_actions.act). The heartbeat's mark is best
effort: a database that is busy right now must not cost staff the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, abort, g, jsonify, request
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.wrappers import Response

from inbox_worker.store import presence
from inbox_worker.store.db import is_busy
from inbox_worker.store.models import Ticket
from inbox_worker.web.context import db, now

bp = Blueprint("presence", __name__)
log = logging.getLogger(__name__)


def _mark(number: int) -> None:
    session = db()
    try:
        if session.get(Ticket, number) is None:
            return
        presence.mark_seen(session, number, g.staff.id, now())
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if not is_busy(exc):
            raise
        log.info("presence not recorded for ticket #%s: the database is busy", number)


def _viewers() -> dict[str, Any]:
    """For every template of a ticket (the page, and the page again after a refused action): who else is there."""
    number = (request.view_args or {}).get("number")
    if not isinstance(number, int) or not request.path.startswith("/tickets/") or not getattr(g, "staff", None):
        return {}
    try:
        return {"viewers": presence.others(db(), number, g.staff.id, now())}
    except SQLAlchemyError:  # the page is an error page about this very database (503 busy): name nobody
        db().rollback()
        return {"viewers": []}


@bp.get("/tickets/<int:number>/presence")
def heartbeat(number: int) -> Response:
    """The page's script reporting in: mark it open, answer who else has it and the ticket's version."""
    ticket = db().get(Ticket, number)
    if ticket is None:
        abort(404)
    version = ticket.version
    _mark(number)
    others = presence.others(db(), number, g.staff.id, now())
    response = jsonify(version=version, viewers=[
        {"initials": v.initials, "name": v.name, "seen_at": v.seen_at.isoformat()} for v in others])
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    app.context_processor(_viewers)
    app.register_blueprint(bp)
