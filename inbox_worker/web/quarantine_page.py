"""The quarantine desk in the web UI: `/quarantine` (what is in quarantine, why) and one mail's page, with
"Behandl igen" once the cause is fixed (CSRF-checked, audit-logged by the desk)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from inbox_worker.features.quarantine.desk import Reprocessed, header_block, reprocess
from inbox_worker.mail.runner import Runner
from inbox_worker.store import quarantine as queries
from inbox_worker.web.context import db, staff, web
from inbox_worker.web.labels import label

bp = Blueprint("quarantine", __name__)
MAX_AT_ONCE = 200  # mails taken back by one press of the button


@bp.get("/quarantine")
def listing() -> str:
    reason = request.args.get("reason", "").strip()[:100] or None
    mails = queries.quarantined(db(), reason)
    rules = sorted({m.rule for m in queries.quarantined(db())})
    return render_template("quarantine.html", mails=mails, reason=reason, rules=rules)


MAX_ID = 2**31 - 1  # the id column: a larger number names no mail (PostgreSQL would refuse to compare it)


def _raw_id(value: str) -> int:
    """A mail id from a form: ASCII digits within the column's range, else 400 (never a 500)."""
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ID:
        abort(400, description="Ugyldigt mail-id.")
    return int(value)


@bp.get("/quarantine/<int:raw_id>")
def show(raw_id: int) -> str:
    raw = queries.raw_message(db(), raw_id) if raw_id <= MAX_ID else None
    if raw is None:
        abort(404, description="Mailen findes ikke.")
    found = queries.quarantined(db(), ids=[raw_id])
    return render_template("quarantine_mail.html", raw=raw, mail=found[0] if found else None,
                           history=queries.history(db(), raw_id), headers=header_block(queries.raw_bytes(db(), raw)))


def _said(result: Reprocessed) -> tuple[str, str]:
    if result.decision is None:
        return f"Mail {result.raw_id}: ikke behandlet igen: {result.refused}", "error"
    decision = result.decision
    if decision.ticket and str(decision.outcome) != "quarantined":
        return (f"Mail {result.raw_id}: {label(decision.outcome, 'outcome')}, sag #{decision.ticket} "
                f"(kvittering: {label(decision.ack, 'ack')})", "ok")
    if str(decision.outcome) == "quarantined":
        return f"Mail {result.raw_id}: stadig i karantæne: {decision.reason or ''}", "error"
    return f"Mail {result.raw_id}: {label(decision.outcome, 'outcome')}", "ok"


@bp.post("/quarantine/reprocess")
def take_back() -> Response:
    ids = [_raw_id(value) for value in request.form.getlist("raw_id")[:MAX_AT_ONCE]]
    if not ids:
        flash("Vælg de mails, der skal behandles igen.", "error")
        return redirect(url_for("quarantine.listing"))
    db().close()  # the desk writes through its own sessions; this request's reads are done
    for result in reprocess(Runner(web().settings, web().engine), ids, staff().initials):
        flash(*_said(result))
    back = request.form.get("back", "")
    return redirect(url_for("quarantine.show", raw_id=ids[0]) if back == "mail" and len(ids) == 1
                    else url_for("quarantine.listing"))
