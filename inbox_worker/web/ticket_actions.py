"""The staff actions on a ticket (POST only, CSRF-checked), each written to the audit log.

Coverage override and time logging are in ticket_time.py, the reply in reply_actions.py, through the same `act`.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from inbox_worker.errors import UserError
from inbox_worker.features.tickets import edit as ticket_edit
from inbox_worker.features.tickets.clocks import ClockSetup
from inbox_worker.features.tickets.concurrency import StaleTicket, expect_version, parse_moment, refusal
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.features.tickets.merge import merge
from inbox_worker.store.models import Ticket
from inbox_worker.web.context import db, now, staff, web
from inbox_worker.web.queue_next import next_in_queue, place_in_queue
from inbox_worker.web.ticket_page import render_ticket

bp = Blueprint("actions", __name__, url_prefix="/tickets/<int:number>")
MAX_TEXT = 50_000
ActionResult = Response | tuple[str, int]  # a redirect, or the ticket page again when the action was refused as stale


def act(number: int, action: Callable[[Ticket, str], str | None], done: str) -> ActionResult:
    """Run one action on the ticket in one transaction; a refusal is shown to staff and changes nothing.

    The form's version must be the ticket's (concurrency.py): an action from a page that is out of date is
    answered with the ticket as it is now (409), the refusal naming the change and the typed text kept.
    Every action touches the ticket ("opdateret"), so it moves the version for the other open pages.
    """
    session = db()
    ticket = session.get(Ticket, number)
    if ticket is None:
        abort(404, description=f"Sag #{number} findes ikke.")
    zone = ZoneInfo(web().settings.company.timezone)
    try:
        expect_version(session, ticket, request.form.get("version"), request.form.get("loaded_at"), zone)
        goto = action(ticket, staff().initials)
        ticket.updated_at = now()
        session.commit()
        flash(done, "ok")
    except StaleDataError:  # changed between the check and the write
        session.rollback()
        return _stale(number, refusal(session, number, parse_moment(request.form.get("loaded_at")), zone))
    except StaleTicket as exc:
        session.rollback()
        return _stale(number, exc)
    except (ActionError, UserError) as exc:
        session.rollback()
        if _draft():  # a refused reply or note (a Cc typo, a file too big): the page again, the typed text kept
            return _refused(number, str(exc), 422)
        flash(str(exc), "error")
        goto = None
    return redirect(goto or f"/tickets/{number}")


def _draft() -> dict[str, str]:
    return {name: request.form.get(name, "")[:MAX_TEXT] for name in ("body", "text", "cc") if request.form.get(name)}


def _refused(number: int, message: str, status: int) -> tuple[str, int]:
    """The ticket page again with the refusal and what was typed. A browser cannot be given files back, so
    the refusal names the ones that were chosen: they must be attached again."""
    files = [upload.filename for upload in request.files.getlist("attachments") if upload.filename]
    if files:
        message += f" Vedhæft filerne igen ({', '.join(files)}): en browser kan ikke få dem tilbage."
    flash(message, "error")
    return render_ticket(number, _draft()), status


def _stale(number: int, refused: StaleTicket) -> tuple[str, int]:
    return _refused(number, str(refused), 409)


def _form(name: str) -> str:
    return request.form.get(name, "").strip()


def clock_setup() -> ClockSetup:
    """The response rules and calendar, read for the action (status, priority, merge and targets move clocks)."""
    return ClockSetup.from_settings(web().settings)


@bp.post("/link-customer")
def link_customer(number: int) -> ActionResult:
    return act(number, lambda t, me: ticket_edit.link_customer(
        db(), t, _form("customer"), _form("contact") or None, _form("alias") == "1", me, now()), "Sagen er koblet")


@bp.post("/devices")
def devices(number: int) -> ActionResult:
    change = ticket_edit.unlink_device if _form("op") == "unlink" else ticket_edit.link_device
    return act(number, lambda t, me: change(db(), t, _form("device"), me, now()), "Enhederne er opdateret")


@bp.post("/set")
def set_field(number: int) -> ActionResult:
    field = _form("field")
    if field not in ("category", "priority", "status"):
        abort(400, description="Ukendt felt.")
    return act(number, lambda t, me: ticket_edit.set_field(db(), t, field, _form("value"), me, now(), clock_setup()),
               "Gemt")


@bp.post("/assign")
def assign(number: int) -> ActionResult:
    return act(number, lambda t, me: ticket_edit.assign(db(), t, _form("assignee") or None, me, now()),
                "Sagen er tildelt")


def _update(ticket: Ticket, me: str, place: tuple[object, ...] | None) -> str | None:
    """The side panel's one form: each field that changed is saved (and audited) on its own, as /set and
    /assign do; "Luk sagen" closes, "Gem og næste" goes on to the next ticket of the queue."""
    moment, setup, do = now(), clock_setup(), _form("do")
    status = "closed" if do == "close" else _form("status")
    for field, value in (("category", _form("category")), ("priority", _form("priority")), ("status", status)):
        if value:  # a field left out of the form is left as it is
            ticket_edit.set_field(db(), ticket, field, value, me, moment, setup)
    if "assignee" in request.form and (_form("assignee") or None) != ticket.assignee:
        ticket_edit.assign(db(), ticket, _form("assignee") or None, me, moment)
    if do != "next":
        return None
    following = next_in_queue(db(), place, ticket.id)
    if following is None:
        flash("Der er ikke flere sager i køen efter denne", "ok")
        return "/"
    return f"/tickets/{following}"


@bp.post("/update")
def update(number: int) -> ActionResult:
    place = place_in_queue(db(), number)  # before the save moves it
    return act(number, lambda t, me: _update(t, me, place), "Gemt")


@bp.post("/note")
def note(number: int) -> ActionResult:
    return act(number, lambda t, me: ticket_edit.add_note(db(), t, _form("text")[:MAX_TEXT], me, now()),
                "Notatet er gemt")


@bp.post("/reviewed")
def reviewed(number: int) -> ActionResult:
    return act(number, lambda t, me: ticket_edit.mark_reviewed(db(), t, me, now()), "Markeret som gennemset")


def _merge(ticket: Ticket, me: str) -> str:
    text = _form("target").lstrip("#")
    if not text.isdigit():
        raise ActionError("Skriv nummeret på den sag, der skal flettes ind i")
    return f"/tickets/{merge(db(), ticket, int(text), me, now(), clock_setup()).id}"


@bp.post("/merge")
def merge_into(number: int) -> ActionResult:
    return act(number, _merge, "Sagerne er flettet")
