"""The response-time targets of a ticket set by hand from the web (POST, CSRF-checked, audited by the feature)."""

from __future__ import annotations

from flask import Blueprint, request

from inbox_worker.domain.working_minutes import parse_working_minutes
from inbox_worker.features.tickets.targets import set_targets
from inbox_worker.store.models import Ticket
from inbox_worker.web.context import db, now
from inbox_worker.web.ticket_actions import ActionResult, act, clock_setup

bp = Blueprint("targets", __name__, url_prefix="/tickets/<int:number>")


def _form(name: str) -> str:
    return request.form.get(name, "").strip()


def _set_targets(ticket: Ticket, me: str) -> None:
    first = parse_working_minutes(_form("first"), "Første svar")
    resolution = parse_working_minutes(_form("resolution"), "Løst")
    set_targets(db(), ticket.id, first, resolution, _form("clock") or None, _form("reason"), me, clock_setup(), now())


@bp.post("/targets")
def targets(number: int) -> ActionResult:
    return act(number, _set_targets, "Fristerne er ændret")
