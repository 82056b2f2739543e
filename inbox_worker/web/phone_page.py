"""Opening a ticket by hand for a phone call (`/phone`): choose the customer, then contact, device and category."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, flash, redirect, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from inbox_worker.domain.vocabulary import CATEGORIES
from inbox_worker.errors import UserError
from inbox_worker.features.customers.view import customer_view
from inbox_worker.features.tickets.durations import parse_minutes
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.features.tickets.ops import log_time
from inbox_worker.features.tickets.phone import PhoneCall, open_phone_ticket
from inbox_worker.store import audit
from inbox_worker.store.models import Customer, Ticket
from inbox_worker.web.context import db, now, staff, web

bp = Blueprint("phone", __name__)


def _form_page(customer_key: str, call: PhoneCall | None = None, minutes: str = "") -> str:
    customers = db().execute(select(Customer.key, Customer.name).order_by(Customer.name)).all()
    view = customer_view(db(), customer_key, now().date()) if customer_key else None
    return render_template("phone.html", customers=customers, view=view, categories=CATEGORIES, call=call,
                           minutes=minutes)


def _log_call_time(ticket: Ticket, minutes: int) -> None:
    """The call's time on the new ticket, under the coverage the rules just decided (same transaction)."""
    settings, me = web().settings, staff().initials
    entry = log_time(db(), ticket.id, minutes, me, dataclasses.asdict(settings.rates), note="Telefonopkald",
                     now=ticket.created_at, timezone=settings.company.timezone)
    audit.record(db(), me, "log-time", entry.created_at, ticket=ticket.id, entry=entry.id, minutes=entry.minutes,
                 coverage=entry.status, rate_dkk=entry.rate_dkk, work_date=entry.work_date.isoformat())


@bp.get("/phone")
def phone() -> str:
    return _form_page(request.args.get("customer", "")[:64])


@bp.post("/phone")
def phone_post() -> Response | str:
    form = request.form
    call = PhoneCall(customer=form.get("customer", "")[:64], contact=form.get("contact", "")[:320],
                     subject=form.get("subject", "")[:1000], description=form.get("description", "")[:50_000],
                     device=form.get("device", "")[:64], category=form.get("category", "")[:32])
    minutes_text = form.get("minutes", "").strip()[:16]
    session = db()
    try:
        minutes = parse_minutes(minutes_text) if minutes_text else None
        ticket = open_phone_ticket(session, call, web().settings, staff().initials, now())
        if minutes:
            _log_call_time(ticket, minutes)
        session.commit()
    except (ActionError, UserError) as exc:
        session.rollback()
        flash(str(exc), "error")
        return _form_page(call.customer, call, minutes_text)
    flash(f"Sag #{ticket.id} er oprettet", "ok")
    return redirect(f"/tickets/{ticket.id}")
