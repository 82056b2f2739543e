"""The customer page `/customers/<key>`."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template

from inbox_worker.features.customers.view import customer_view
from inbox_worker.features.tickets.time_view import customer_quarter_rows, quarter_of, totals
from inbox_worker.web.context import db, now, web

bp = Blueprint("customer", __name__)


@bp.get("/customers/<key>")
def customer(key: str) -> str:
    today = now().astimezone(ZoneInfo(web().settings.company.timezone)).date()
    view = customer_view(db(), key[:64], today)
    if view is None:
        abort(404, description="Kunden findes ikke.")
    quarter = quarter_of(today)
    rows = customer_quarter_rows(db(), view.customer, quarter)
    figures = totals(rows, web().settings.billing.round_up_minutes)
    return render_template("customer.html", v=view, c=view.customer, quarter=quarter, figures=figures,
                           last_day=quarter.end - timedelta(days=1))
