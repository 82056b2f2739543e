"""The access log from the web: a ticket shown, a mail's HTML version shown, an attachment downloaded.

Recorded before the answer is sent, in the request's one short write transaction (for the ticket page together
with its presence mark). GDPR wants the record, so unlike presence alone it is not best effort: a database too
busy to take the write answers 503 "prøv igen" like every other write (app.py), rather than showing personal
data unrecorded; the retry then shows and records it. A HEAD request shows nothing and records nothing.
"""

from __future__ import annotations

from flask import request

from inbox_worker.store import access_log, presence
from inbox_worker.store.access_log import AccessAction
from inbox_worker.web.context import db, now, staff


def ticket_shown(number: int) -> None:
    """The logged-in staff member is shown ticket `number`'s page: it is open for them, and a VIEW."""
    _write(number, AccessAction.VIEW, page=True)


def mail_html_shown(number: int) -> None:
    """One mail's sanitized HTML version of ticket `number` shown: a VIEW of the ticket, marked as such."""
    _write(number, AccessAction.VIEW, what=access_log.MAIL_HTML)


def attachment_downloaded(number: int, attachment_id: int) -> None:
    """An attachment of ticket `number` handed to the browser: a DOWNLOAD naming the attachment by its id."""
    _write(number, AccessAction.DOWNLOAD, attachment=attachment_id)


def _write(number: int, action: AccessAction, *, page: bool = False, attachment: int | None = None,
           what: str = "") -> None:
    if request.method == "HEAD":
        return
    session, member, moment = db(), staff(), now()
    if page:
        presence.mark_seen(session, number, member.id, moment)
    access_log.record(session, member.initials, action, moment, ticket=number, attachment=attachment, what=what)
    session.commit()  # a busy database raises here: the error handler answers 503, nothing is shown
