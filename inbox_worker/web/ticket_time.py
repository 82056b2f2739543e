"""The money side of a ticket from the web: override its coverage, log time and correct it, each audited."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, request

from inbox_worker.features.tickets import ops as ticket_ops
from inbox_worker.features.tickets.durations import parse_day, parse_minutes
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.store import audit
from inbox_worker.store.models import Ticket
from inbox_worker.web.context import db, now, web
from inbox_worker.web.ticket_actions import ActionResult, act

bp = Blueprint("time", __name__, url_prefix="/tickets/<int:number>")


def _form(name: str) -> str:
    return request.form.get(name, "").strip()


def _ops_args() -> dict[str, Any]:
    settings = web().settings
    return {"rates": dataclasses.asdict(settings.rates), "now": now(), "timezone": settings.company.timezone}


def _set_coverage(ticket: Ticket, me: str) -> None:
    status, reason = _form("status"), _form("reason")[:2000]
    if status not in ("covered", "billable"):
        raise ActionError("Vælg dækket eller faktureres")
    if not reason:
        raise ActionError("Skriv en begrundelse for den ændrede dækning")
    rate: str | None = _form("rate_dkk") or _form("rate") or None
    if status == "covered":
        rate = None
    before = dict(ticket.coverage or {})
    args = _ops_args()
    coverage = ticket_ops.set_coverage(db(), ticket.id, status, reason, me, args["rates"], rate=rate,
                                       now=args["now"], timezone=args["timezone"])
    audit.record(db(), me, "set-coverage", args["now"], ticket=ticket.id, before=before.get("status"),
                 after=coverage.status, rate_dkk=coverage.rate_dkk, reason=reason)


@bp.post("/coverage")
def set_coverage(number: int) -> ActionResult:
    return act(number, _set_coverage, "Dækningen er ændret")


def _log_time(ticket: Ticket, me: str) -> None:
    minutes = parse_minutes(_form("minutes"))
    coverage = _form("coverage") or None
    if coverage not in (None, "covered", "billable"):
        raise ActionError("Ugyldig dækning")
    entry = ticket_ops.log_time(db(), ticket.id, minutes, me, note=_form("note")[:2000] or None, coverage=coverage,
                                work_date=parse_day(_form("date")), **_ops_args())
    audit.record(db(), me, "log-time", entry.created_at, ticket=ticket.id, entry=entry.id, minutes=entry.minutes,
                 coverage=entry.status, rate_dkk=entry.rate_dkk, work_date=entry.work_date.isoformat())


@bp.post("/time")
def log_time(number: int) -> ActionResult:
    return act(number, _log_time, "Tiden er registreret")


def _correct(ticket: Ticket, me: str) -> None:
    text = _form("entry")
    if not text.isdigit():
        raise ActionError("Vælg den registrering, der skal rettes")
    minutes = parse_minutes(_form("minutes"), signed=True)
    entry = ticket_ops.log_time(db(), ticket.id, minutes, me, note=_form("note")[:2000] or None,
                                corrects=int(text), **_ops_args())
    audit.record(db(), me, "correct-time", entry.created_at, ticket=ticket.id, entry=entry.id,
                 corrects=entry.corrects, minutes=entry.minutes)


@bp.post("/time/correct")
def correct_time(number: int) -> ActionResult:
    return act(number, _correct, "Rettelsen er registreret")
