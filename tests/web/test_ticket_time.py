"""Coverage overrides and time from the web: audited, CSRF-checked, shown with totals on the ticket and customer pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.features.tickets.time_view import quarter_of
from inbox_worker.store.models import AuditEntry, Ticket, TimeEntry
from inbox_worker.store.queue_columns import sort_columns
from tests.mailbuilder import build_mail
from tests.web.conftest import audit_actions, text_of, ticket_row

Post = Callable[..., Any]



def _minutes(engine: Engine, number: int) -> list[tuple[int, str, int]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(TimeEntry.minutes, TimeEntry.status, TimeEntry.rate_dkk).where(TimeEntry.ticket_id == number)
            .order_by(TimeEntry.id))]


def _page(client: FlaskClient, path: str) -> str:
    return text_of(client.get(path).get_data(as_text=True))


@pytest.mark.parametrize("path", ["coverage", "time", "time/correct"])
def test_the_money_actions_need_the_csrf_token(client: FlaskClient, engine: Engine, ticket: int, path: str) -> None:
    form = {"status": "billable", "reason": "Ikke omfattet", "minutes": "30", "entry": "1"}
    for data in (form, {**form, "csrf_token": "forfalsket"}):
        response = client.post(f"/tickets/{ticket}/{path}", data=data)
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert audit_actions(engine, ticket) == [] and _minutes(engine, ticket) == []
    assert ticket_row(engine, ticket).coverage["rule"] != "staff-override"


def test_a_coverage_override_is_audited_shown_and_wins_over_the_rules_for_later_mail(
        post: Post, client: FlaskClient, engine: Engine, ingest: Callable[[bytes], Any], ticket: int) -> None:
    assert ticket_row(engine, ticket).coverage_status == "covered"  # Bageriet's printer: covered by the rules
    post(f"/tickets/{ticket}/coverage", status="billable", rate="none", reason="Ny printer, ikke i aftalen")
    changed = ticket_row(engine, ticket)
    assert (changed.coverage["status"], changed.coverage["rate_dkk"], changed.coverage["rule"]) == (
        "billable", 850, "staff-override")
    assert changed.coverage_status == "billable" and "billable" in changed.review
    assert sort_columns(changed.review, changed.priority, changed.coverage) == {
        "look_rank": changed.look_rank, "priority_rank": changed.priority_rank,
        "coverage_status": changed.coverage_status}
    assert audit_actions(engine, ticket) == ["set-coverage"]
    with Session(engine) as session:
        audit = session.scalar(select(AuditEntry).where(AuditEntry.ticket_id == ticket))
        assert audit is not None and audit.actor == "JH"
        assert audit.details["before"] == "covered" and audit.details["after"] == "billable"

    # The customer writes again on the ticket: the worker keeps staff's coverage and the queue columns stay right.
    decision = ingest(build_mail(subject=f"Re: [MICO #{ticket}] Printeren virker ikke", body="Den er stadig i stykker"))
    assert decision["ticket"] == ticket and decision["coverage"]["rule"] == "staff-override"
    again = ticket_row(engine, ticket)
    assert again.coverage_status == "billable" and again.look_rank == changed.look_rank

    page = _page(client, f"/tickets/{ticket}")
    assert "Faktureres · 850 kr./time" in page
    assert "Dækningshistorik" in page and "JH Dækket Faktureres 850 kr./t Ny printer, ikke i aftalen" in page
    assert "Dækning ændret" in page  # in the audit log


def test_a_refused_override_is_a_danish_message_and_changes_nothing(post: Post, client: FlaskClient, engine: Engine,
                                                                    ticket: int) -> None:
    before = ticket_row(engine, ticket).coverage
    response = post(f"/tickets/{ticket}/coverage", status="billable", reason="   ")
    assert response.status_code == 302
    assert "Skriv en begrundelse for den ændrede dækning" in _page(client, f"/tickets/{ticket}")
    response = post(f"/tickets/{ticket}/coverage", status="billable", rate_dkk="gratis", reason="Prøv")
    assert response.status_code == 302
    assert "satsen skal være en af agreement, trial, none" in _page(client, f"/tickets/{ticket}")  # ticket_ops' line
    assert ticket_row(engine, ticket).coverage == before and audit_actions(engine, ticket) == []


def test_logged_time_and_corrections_add_up_on_the_ticket_page(post: Post, client: FlaskClient, engine: Engine,
                                                               ticket: int) -> None:
    post(f"/tickets/{ticket}/time", minutes="50", note="Ny toner")  # the ticket's coverage now: covered
    post(f"/tickets/{ticket}/time", minutes="20", coverage="billable", note="Kørsel")
    post(f"/tickets/{ticket}/time", minutes="1:30", coverage="billable", date="2026-11-19")
    with Session(engine) as session:
        billable = session.scalar(select(TimeEntry.id).where(TimeEntry.ticket_id == ticket, TimeEntry.minutes == 20))
    post(f"/tickets/{ticket}/time/correct", entry=str(billable), minutes="-5", note="For meget")
    assert _minutes(engine, ticket) == [(50, "covered", 0), (20, "billable", 650), (90, "billable", 650),
                                        (-5, "billable", 650)]
    assert audit_actions(engine, ticket) == ["log-time", "log-time", "log-time", "correct-time"]
    page = _page(client, f"/tickets/{ticket}")
    assert "Dækket 50 min" in page
    # 15 min (20 - 5) and 90 min; each rounded up to the started quarter hour: 15 + 90 = 105 min at 650 kr./t
    assert "Faktureres 1 t 45 min · faktureres som 1 t 45 min · 1.137,50 kr. ekskl. moms" in page
    assert "19.11.2026 1 t 30 min JH Faktureres 650 kr./t" in page
    assert "rettelse af #" in page and "For meget" in page


def test_wrong_time_is_refused_with_a_message_and_no_entry(post: Post, client: FlaskClient, engine: Engine,
                                                           ticket: int) -> None:
    for minutes, message in (("en halv time", "Skriv tiden i hele minutter"), ("-15", "Skriv tiden i hele minutter"),
                             ("0", "Tiden skal være mellem 1 og 1440 minutter"),
                             ("2000", "Tiden skal være mellem 1 og 1440 minutter")):
        assert post(f"/tickets/{ticket}/time", minutes=minutes).status_code == 302
        assert message in _page(client, f"/tickets/{ticket}")
    post(f"/tickets/{ticket}/time", minutes="30", date="31.02.2026")
    assert "Datoen skal skrives som dd.mm.åååå" in _page(client, f"/tickets/{ticket}")
    assert _minutes(engine, ticket) == []
    post(f"/tickets/{ticket}/time", minutes="30")
    with Session(engine) as session:
        entry = session.scalar(select(TimeEntry.id).where(TimeEntry.ticket_id == ticket))
    post(f"/tickets/{ticket}/time/correct", entry=str(entry), minutes="-45")
    assert "ville gøre den negativ" in _page(client, f"/tickets/{ticket}")
    assert _minutes(engine, ticket) == [(30, "covered", 0)] and audit_actions(engine, ticket) == ["log-time"]


def test_the_customer_page_shows_this_quarters_covered_and_billable_time(post: Post, client: FlaskClient,
                                                                         ticket: int) -> None:
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    quarter = quarter_of(today)
    post(f"/tickets/{ticket}/time", minutes="50")
    post(f"/tickets/{ticket}/time", minutes="20", coverage="billable")
    post(f"/tickets/{ticket}/time", minutes="60", coverage="billable",
         date=(quarter.start - timedelta(days=1)).isoformat())  # last quarter: not counted
    page = _page(client, "/customers/bageriet")
    assert f"Tid i {quarter.number}. kvartal {quarter.year}" in page
    assert "Dækket 50 min (0,83 t, ikke afrundet)" in page
    assert "Faktureres 20 min registreret · faktureres som 30 min (0,50 t) · 325,00 kr. ekskl. moms" in page
    assert "rundes op til påbegyndte 15 min" in page
    assert "Dækket 0 min" in _page(client, "/customers/tandlaegerne")  # another customer's time is not here


def test_a_phone_ticket_can_log_the_calls_minutes_in_the_same_transaction(client: FlaskClient, post: Post,
                                                                          engine: Engine) -> None:
    call = {"customer": "bageriet", "contact": "lone@bageriet-soerensen.dk", "subject": "Printeren",
            "description": "Lone ringede: papirstop."}
    refused = post("/phone", **call, minutes="et kvarter")
    assert refused.status_code == 200 and "Skriv tiden i hele minutter" in refused.get_data(as_text=True)
    with Session(engine) as session:
        assert session.scalars(select(Ticket)).all() == []
    number = int(post("/phone", **call, minutes="15").headers["Location"].rsplit("/", 1)[1])
    assert [(m, by) for m, by in _by(engine, number)] == [(15, "JH")]
    assert audit_actions(engine, number) == ["phone-ticket", "log-time"]
    assert "Telefonopkald" in _page(client, f"/tickets/{number}")


def _by(engine: Engine, number: int) -> list[tuple[int, str]]:
    with Session(engine) as session:
        return [(m, by) for m, by in session.execute(select(TimeEntry.minutes, TimeEntry.by)
                                                     .where(TimeEntry.ticket_id == number))]
