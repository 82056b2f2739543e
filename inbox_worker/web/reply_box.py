"""What the reply box on the ticket page shows besides the ticket: the canned replies, the one picked, the
signature that goes under the reply, and the attachment limits.

A canned reply is picked with a plain GET form (`?standardsvar=<id>`, no JavaScript needed): the ticket
page comes back with the reply box filled with it, to edit before sending (`canned_draft`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import g, request
from jinja2 import TemplateError

from inbox_worker.errors import UserError
from inbox_worker.features.tickets import canned
from inbox_worker.features.tickets.reply import closing, reply_language
from inbox_worker.store.models import Ticket
from inbox_worker.web.context import db, staff, web

PICK = "standardsvar"  # the query parameter of the picker


@dataclass(frozen=True)
class ReplyBox:
    canned: list[tuple[str, str]]  # (id, Danish title)
    picked: str
    problem: str | None  # why the canned replies, or the one picked, cannot be used (Danish)
    closing: str  # the signature or greeting that goes under the reply, as the customer will see it
    has_signature: bool
    file_mb: str
    total_mb: str


def canned_draft(number: int) -> Mapping[str, str] | None:
    """The ticket page's draft when a canned reply was picked: its text for this ticket, ready to edit."""
    reply_id = request.args.get(PICK, "").strip()
    if not reply_id:
        return None
    ticket = db().get(Ticket, number)
    if ticket is None:
        return None
    try:
        return {"body": canned.render(db(), web().renderer, ticket, reply_id, _name())}
    except canned.CannedProblem as exc:
        g.canned_problem = str(exc)
        return None


def _name() -> str:
    member = staff()
    return member.name or member.initials


def _mb(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def reply_box(ticket: Ticket) -> ReplyBox:
    """The reply box's parts for `ticket` (called from _reply_box.html)."""
    problem: str | None = g.get("canned_problem")
    try:
        replies = [(reply.id, reply.title("da")) for reply in canned.load_index(web().settings.paths.templates)]
    except UserError as exc:
        replies, problem = [], f"Standardsvarene kan ikke læses: {exc}"
    member = staff()
    try:
        under = closing(web().renderer, reply_language(ticket), _name(), member.signature or "")
    except TemplateError as exc:
        under = f"(skabelonen reply/closing kan ikke bruges: {exc.message})"
    settings = web().settings.web
    return ReplyBox(replies, request.args.get(PICK, ""), problem, under, bool(member.signature),
                    _mb(settings.reply_attachment_max_mb), _mb(settings.reply_attachments_total_mb))
