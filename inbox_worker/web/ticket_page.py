"""Reading a ticket: the page `/tickets/<n>`, a mail's sanitized HTML, and attachment downloads.

Each is recorded in the access log (web/access.py) before it is shown; the page lists who has seen it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, send_file
from sqlalchemy import select
from werkzeug.wrappers import Response

from inbox_worker.domain.audit_text import audit_sentence
from inbox_worker.domain.labels import decision_line
from inbox_worker.domain.trace_text import trace_lines
from inbox_worker.domain.vocabulary import CATEGORIES
from inbox_worker.features.tickets.ops import coverage_history, time_entries
from inbox_worker.features.tickets.time_view import ticket_rows, totals
from inbox_worker.features.tickets.view import TicketView, attachment_of, inbound_raw_id, thread_items, ticket_view
from inbox_worker.store import access_log, response
from inbox_worker.store.models import Contact, RawBlob
from inbox_worker.web import access
from inbox_worker.web.access_text import access_lines
from inbox_worker.web.clock_panel import clock_panel
from inbox_worker.web.context import db, now, web
from inbox_worker.web.mailhtml import html_part, sanitize
from inbox_worker.web.reply_box import canned_draft

bp = Blueprint("ticket", __name__)
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@bp.get("/tickets/<int:number>")
def ticket(number: int) -> str:
    return render_ticket(number, canned_draft(number))  # ?standardsvar=<id>: the reply box filled with it


def render_ticket(number: int, draft: Mapping[str, str] | None = None) -> str:
    """The ticket page; `draft` is text a refused action had typed (reply body, note), shown again in its box.

    Also the page again after a stale action was refused (409): it shows the ticket as it is now, so it is
    recorded as a view like the first (and marks the page open again).
    """
    view = ticket_view(db(), number)
    if view is None:
        abort(404, description=f"Sag #{number} findes ikke.")
    access.ticket_shown(number)
    phone = next((e for e in view.audit if e.action == "phone-ticket"), None)
    settings = web().settings
    zone = ZoneInfo(settings.company.timezone)
    entries = time_entries(db(), number)
    rows = ticket_rows(entries, view.ticket.subject, view.customer.key if view.customer else None)
    panel = clock_panel(response.clocks_of(view.ticket), response.history(db(), number), now(), web().calendar, zone)
    contact = next((c for c in view.contacts if c.email == view.ticket.contact_email), None)
    audit_lines = [(a.created_at, audit_sentence(a.actor, a.action, a.details, zone)) for a in view.audit]
    return render_template("ticket.html", v=view, t=view.ticket, phone=phone, time_entries=entries,
                           time_totals=totals(rows, settings.billing.round_up_minutes),
                           coverage_history=coverage_history(db(), number), rates=settings.rates,
                           clock_panel=panel, draft=draft or {}, loaded_at=now().isoformat(),
                           thread=thread_items(db(), view), contact=contact, categories=CATEGORIES,
                           audit_lines=audit_lines, access_lines=_access_lines(view, contact, zone),
                           trace_lines=lambda trace: trace_lines(trace, zone),
                           decision_line=decision_line)


def _access_lines(view: TicketView, contact: Contact | None, zone: ZoneInfo) -> list[str]:
    """Who has seen the ticket (this view included), downloaded from it, or exported it with its customer or contact."""
    scopes = ([access_log.customer_scope(view.customer.key)] if view.customer else []) + (
        [access_log.person_scope(contact.id)] if contact else [])
    seen = access_log.seen_on_ticket(db(), view.ticket.id, customer=view.ticket.customer_id, export_scopes=scopes)
    return access_lines(seen, zone, now().astimezone(zone).date())


@bp.get("/tickets/<int:number>/mail/<int:entry_id>")
def mail_html(number: int, entry_id: int) -> str:
    raw_id = inbound_raw_id(db(), number, entry_id)
    raw = db().scalar(select(RawBlob.raw).where(RawBlob.raw_message_id == raw_id)) if raw_id else None
    if raw is None:
        abort(404, description="Mailen findes ikke på denne sag.")
    access.mail_html_shown(number)
    html = html_part(raw)
    return render_template("mail_html.html", number=number, safe=sanitize(html) if html is not None else None)


def download_name(filename: str) -> str:
    name = _UNSAFE_NAME.sub("_", filename).strip(" .")
    return name[:150] or "vedhaeftning"


@bp.get("/tickets/<int:number>/attachments/<int:attachment_id>")
def attachment(number: int, attachment_id: int) -> Response:
    record = attachment_of(db(), number, attachment_id)
    if record is None or record.stored_path is None:
        abort(404, description="Vedhæftningen findes ikke på denne sag.")
    store = web().attachments
    path = store.path_of(record.stored_path).resolve()
    if not path.is_relative_to(store.folder.resolve()) or not path.is_file():
        abort(404, description="Vedhæftningen findes ikke på denne sag.")
    access.attachment_downloaded(number, record.id)
    # Always a download, never shown inline, and never a type the browser would run or render.
    return send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=download_name(record.filename), max_age=0)
