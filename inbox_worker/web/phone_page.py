"""Opening a ticket by hand for a phone call (`/phone`): choose the customer, then contact, device and category."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..store.customer_view import customer_view
from ..store.models import Customer
from ..store.phone_ticket import PhoneCall, open_phone_ticket
from ..store.ticket_edit import CATEGORIES, ActionError
from .context import db, now, staff, web

bp = Blueprint("phone", __name__)


def _form_page(customer_key: str, call: PhoneCall | None = None) -> str:
    customers = db().execute(select(Customer.key, Customer.name).order_by(Customer.name)).all()
    view = customer_view(db(), customer_key, now().date()) if customer_key else None
    return render_template("phone.html", customers=customers, view=view, categories=CATEGORIES, call=call)


@bp.get("/phone")
def phone() -> str:
    return _form_page(request.args.get("customer", "")[:64])


@bp.post("/phone")
def phone_post() -> Response | str:
    form = request.form
    call = PhoneCall(customer=form.get("customer", "")[:64], contact=form.get("contact", "")[:320],
                     subject=form.get("subject", "")[:1000], description=form.get("description", "")[:50_000],
                     device=form.get("device", "")[:64], category=form.get("category", "")[:32])
    session = db()
    try:
        ticket = open_phone_ticket(session, call, web().settings, staff().initials, now())
        session.commit()
    except ActionError as exc:
        session.rollback()
        flash(str(exc), "error")
        return _form_page(call.customer, call)
    flash(f"Sag #{ticket.id} er oprettet", "ok")
    return redirect(f"/tickets/{ticket.id}")
