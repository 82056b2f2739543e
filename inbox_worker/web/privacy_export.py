"""Privacy exports from the customer page ("Udlevér persondata"): the customer's, or one contact's, as a zip download.

POST only (CSRF-checked by web/security.py like every form), staff only (the login check), and recorded in the
access log and the audit log with the staff member's initials before the file is handed over.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, send_file, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from inbox_worker.errors import UserError
from inbox_worker.features.privacy import scope as scopes
from inbox_worker.features.privacy.export import record_export, snapshot, write_export
from inbox_worker.features.privacy.scope import Scope
from inbox_worker.store.models import Contact, Customer
from inbox_worker.web.context import db, now, staff, web

bp = Blueprint("privacy_export", __name__)


def _customer(session: Session, key: str) -> Customer:
    found = session.scalar(select(Customer).where(Customer.key == key[:64]))
    if found is None:
        abort(404, description="Kunden findes ikke.")
    return found


def _download(key: str, resolve: Callable[[Session], Scope]) -> Response:
    """Build the zip in a temporary file from one consistent read, record the export, and send the file.

    A refusal (the index template missing from an edited templates folder) is shown on the customer page."""
    moment, me = now(), staff().initials
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it once the response is sent)
    try:
        with web().sessions() as reader:
            snapshot(reader)
            scope = resolve(reader)
            result = write_export(reader, scope, handle, web().settings, web().renderer, moment, me)
        record_export(db(), result, me, moment, "web")
        db().commit()
        handle.seek(0)
    except UserError as exc:
        handle.close()
        flash(str(exc), "error")
        return redirect(url_for("customer.customer", key=key, _anchor="privacy"))
    except BaseException:
        handle.close()
        raise
    response = send_file(handle, mimetype="application/zip", as_attachment=True,
                         download_name=f"privacy-{scope.slug}.zip", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/customers/<key>/privacy-export")
def customer_export(key: str) -> Response:
    return _download(key, lambda session: scopes.customer(session, _customer(session, key).key))


@bp.post("/customers/<key>/contacts/<int:contact_id>/privacy-export")
def contact_export(key: str, contact_id: int) -> Response:
    def resolve(session: Session) -> Scope:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.customer_id != _customer(session, key).id:
            abort(404, description="Kontakten findes ikke hos denne kunde.")
        return scopes.person_of(session, contact)

    return _download(key, resolve)

