"""Replying to the customer: POST /tickets/<n>/reply (multipart: the text, Cc, attachments), through `act`.

Three explicit choices, submit buttons named `then`: "Send" leaves the status as it is (a closed ticket
stays closed), "Send og sæt til afventer kunde" sets waiting, "Send og luk" closes. The reply and the
status change are audited separately (reply, set-status) in one transaction, refused together when the
page was out of date.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.blueprints import BlueprintSetupState
from jinja2 import TemplateError
from werkzeug.exceptions import RequestEntityTooLarge

from inbox_worker.domain.types import TicketStatus
from inbox_worker.features.tickets import edit as ticket_edit
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.features.tickets.reply import ReplyFile, check_files, parse_cc, queue_reply, recipient_of
from inbox_worker.store import audit
from inbox_worker.store.models import Ticket
from inbox_worker.web.context import db, now, staff, web
from inbox_worker.web.reply_box import reply_box
from inbox_worker.web.ticket_actions import MAX_TEXT, ActionResult, act, clock_setup

bp = Blueprint("reply", __name__, url_prefix="/tickets/<int:number>")
THEN = {"": "Svaret ligger i udbakken og sendes ved næste afsendelse",
        TicketStatus.WAITING.value: "Svaret ligger i udbakken, og sagen afventer kunden",
        TicketStatus.CLOSED.value: "Svaret ligger i udbakken, og sagen er lukket"}
FORM_SLACK = 1024 * 1024  # the text fields and the multipart framing, besides the files


def _mb_bytes(megabytes: float) -> int:
    return int(megabytes * 1024 * 1024)


def _allow_attachments() -> None:
    """A reply may be larger than the app's 2 MB request cap by its attachments' total (set before the CSRF
    check reads the form; the files' own caps are checked with a Danish message in the action)."""
    if request.endpoint == "reply.reply":
        request.max_content_length = _mb_bytes(web().settings.web.reply_attachments_total_mb) + FORM_SLACK


def _too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A form over the request cap, in Danish (a reply's: what its attachments may be in all)."""
    if request.endpoint == "reply.reply":
        error.description = ("Svaret er ikke sendt: formularen med de vedhæftede filer er større, end et svar må "
                             f"være ({web().settings.web.reply_attachments_total_mb:g} MB i alt). Gå tilbage, og "
                             "vedhæft færre eller mindre filer.")
    else:
        error.description = "Formularen er for stor til at blive modtaget. Intet er gemt."
    return render_template("error.html", error=error), 413


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    app = state.app
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_attachments)  # before check_csrf
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.jinja_env.globals["reply_box"] = reply_box


def _files() -> list[ReplyFile]:
    """The uploaded files; a file input left empty sends one part with no name and no bytes, which is no file."""
    files = []
    for upload in request.files.getlist("attachments"):
        data = upload.read()
        if upload.filename or data:
            files.append(ReplyFile(upload.filename or "vedhaeftning", upload.mimetype or "application/octet-stream",
                                   data))
    return files


def _reply(ticket: Ticket, me: str, then: str) -> None:
    body = request.form.get("body", "").strip()[:MAX_TEXT]
    if not body:
        raise ActionError("Svaret er tomt")
    recipient = recipient_of(ticket)
    if recipient is None:
        raise ActionError("Sagen har ingen gyldig modtageradresse")
    cc = parse_cc(request.form.get("cc", ""), recipient)
    files = _files()
    settings = web().settings.web
    check_files(files, _mb_bytes(settings.reply_attachment_max_mb), _mb_bytes(settings.reply_attachments_total_mb))
    moment, member = now(), staff()
    try:
        queued = queue_reply(db(), web().renderer, ticket, body, me, member.name, moment,
                             signature=member.signature or "", cc=cc, files=files, store=web().attachments)
    except TemplateError as exc:
        raise ActionError(f"Svaret kan ikke laves: skabelonen til svarmails kan ikke bruges ({exc.message})") from None
    audit.record(db(), me, "reply", moment, ticket=ticket.id, outbox=queued.outbox_id, to=recipient, cc=cc,
                 attachments=[f.filename for f in files], then=then or "unchanged",
                 clock=[queued.clock.event.value] if queued.clock else [])
    if then:
        ticket_edit.set_field(db(), ticket, "status", then, me, moment, clock_setup())


@bp.post("/reply")
def reply(number: int) -> ActionResult:
    then = request.form.get("then", "")
    if then not in THEN:
        abort(400, description="Ukendt valg for sagens status efter svaret.")
    return act(number, lambda ticket, me: _reply(ticket, me, then), THEN[then])
