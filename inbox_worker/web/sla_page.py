"""The response-time report page `/sla` ("Svartider"): the month's targets met per customer and priority."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from inbox_worker.errors import UserError
from inbox_worker.features.response import report_text
from inbox_worker.features.response.report import Month, Report, month_report
from inbox_worker.store.models import Customer
from inbox_worker.web.context import db, now, web

bp = Blueprint("sla", __name__)


@bp.get("/sla")
def sla() -> tuple[str, int]:
    settings = web().settings
    zone = settings.company.timezone
    this_month = Month.of(now(), zone)
    month_text, customer = request.args.get("month", "")[:16] or str(this_month), request.args.get("customer", "")[:64]
    customers = list(db().execute(select(Customer.key, Customer.name).order_by(Customer.name)))
    report: Report | None = None
    error = ""
    try:
        month = Month.parse(month_text)
    except UserError:
        error = "Ukendt måned: skriv den som 2026-11."
    else:
        if customer and customer not in {key for key, _name in customers}:
            error = f"Ingen kunde med nøglen {customer!r}."
        else:
            report = month_report(db(), settings, month, customer or None, now())
    return render_template("sla.html", report=report, error=error, month=month_text, customer=customer,
                           customers=customers, text=report_text), 400 if error else 200
