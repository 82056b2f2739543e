"""Reading a ticket: the page `/tickets/<n>`, a mail's sanitized HTML, and attachment downloads."""

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
from inbox_worker.features.tickets.view import attachment_of, inbound_raw_id, thread_items, ticket_view
from inbox_worker.store import response
from inbox_worker.store.models import RawBlob
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
    """The ticket page; `draft` is text a refused action had typed (reply body, note), shown again in its box."""
    view = ticket_view(db(), number)
    if view is None:
        abort(404, description=f"Sag #{number} findes ikke.")
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
                           audit_lines=audit_lines, trace_lines=lambda trace: trace_lines(trace, zone),
                           decision_line=decision_line)


@bp.get("/tickets/<int:number>/mail/<int:entry_id>")
def mail_html(number: int, entry_id: int) -> str:
    raw_id = inbound_raw_id(db(), number, entry_id)
    raw = db().scalar(select(RawBlob.raw).where(RawBlob.raw_message_id == raw_id)) if raw_id else None
    if raw is None:
        abort(404, description="Mailen findes ikke på denne sag.")
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
    # Always a download, never shown inline, and never a type the browser would run or render.
    return send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=download_name(record.filename), max_age=0)
