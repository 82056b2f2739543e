"""The failed-sends desk `/outbox` ("Fejlede afsendelser"): failed and uncertain mail, retried or cancelled by staff."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from werkzeug.wrappers import Response

from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.domain.labels import OUTBOX_KIND, OUTBOX_STATUS
from inbox_worker.errors import UserError
from inbox_worker.features.outbox import desk
from inbox_worker.store import outbox
from inbox_worker.web.context import db, now, staff, web

bp = Blueprint("outbox", __name__)
STATUS, KIND = OUTBOX_STATUS, OUTBOX_KIND
SHOWN = 200


def _status_filter() -> str:
    status = request.values.get("status", "")
    return status if status in STATUS else ""


def _back() -> str:
    status = _status_filter()
    return f"/outbox?status={status}" if status else "/outbox"


@bp.get("/outbox")
def outbox_page() -> str:
    status = _status_filter()
    rows = desk.desk_rows(db(), [status] if status else desk.NEEDS_STAFF, limit=SHOWN, with_text=True)
    return render_template("outbox.html", rows=rows, status=status, counts=outbox.counts(db()), STATUS=STATUS,
                           KIND=KIND, shown=SHOWN, retryable=desk.RETRYABLE, cancellable=desk.CANCELLABLE,
                           uncertain=OutboxStatus.UNCERTAIN.value)


def _change(row_id: int, action: str) -> Response:
    """Retry or cancel one row in one transaction, audit-logged; a refusal is shown and changes nothing."""
    session, change = db(), desk.retry if action == "retry" else desk.cancel
    try:
        lines = change(session, [row_id], staff().initials, now(), web().settings.company.timezone)
        session.commit()
        flash(" ".join(lines), "ok")
    except UserError as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(_back())


@bp.post("/outbox/<int:row_id>/retry")
def retry(row_id: int) -> Response:
    return _change(row_id, "retry")


@bp.post("/outbox/<int:row_id>/cancel")
def cancel(row_id: int) -> Response:
    return _change(row_id, "cancel")
