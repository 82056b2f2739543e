"""`staff list`, `staff passwd` and `staff remove`: a colleague who leaves, or a password that leaked, is dealt with
from the command line, and every browser session of theirs ends at once (a kept cookie included)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import AuditEntry, Ticket, WebSession
from tests.web.conftest import PASSWORD, login


def logged_in(app: Flask, email: str = "jh@mico.dk") -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    assert client.get("/").status_code == 200
    return client


def audit(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_staff_list_shows_each_account_and_whether_it_can_log_in(cli: Any, app: Flask,
                                                                 staff: dict[str, str]) -> None:
    logged_in(app)
    listing = cli("staff", "list")
    assert listing.code == 0
    jh, kb = (next(line for line in listing.out.splitlines() if line.startswith(initials)) for initials in ("JH", "KB"))
    assert "jh@mico.dk" in jh and "Jens Hansen" in jh and "aktiv" in jh and "sidst logget ind" in jh
    assert "kb@mico.dk" in kb and "aldrig logget ind" in kb
    assert "$argon2" not in listing.out


def test_a_new_password_ends_every_session_and_only_the_new_one_logs_in(
        cli: Any, app: Flask, engine: Engine, staff: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    desk, laptop, colleague = logged_in(app), logged_in(app), logged_in(app, "kb@mico.dk")
    monkeypatch.setenv("NEW_PASSWORD", "et helt nyt kodeord")

    result = cli("staff", "passwd", "JH@mico.dk", "--password-env", "NEW_PASSWORD", "--by", "KB")

    assert result.code == 0, result.err
    assert "jh@mico.dk (JH)" in result.out and "2 sessioner er afsluttet" in result.out
    assert "et helt nyt kodeord" not in result.out + result.err
    assert desk.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert colleague.get("/").status_code == 200
    assert login(app.test_client(), password=PASSWORD).status_code == 401
    assert login(app.test_client(), password="et helt nyt kodeord").status_code == 302
    [entry] = audit(engine, "staff-password")
    assert (entry.actor, entry.details) == ("KB", {"staff": "JH"})


def test_a_short_new_password_is_refused_and_nothing_ends(cli: Any, app: Flask, staff: dict[str, str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    desk = logged_in(app)
    monkeypatch.setenv("SHORT", "kort")
    result = cli("staff", "passwd", "jh@mico.dk", "--password-env", "SHORT", "--by", "KB")
    assert result.code == 2 and "mindst 10 tegn" in result.err
    assert desk.get("/").status_code == 200


def test_a_removed_colleague_is_logged_out_cannot_log_in_and_their_open_tickets_are_named(
        cli: Any, app: Flask, engine: Engine, staff: dict[str, str], ticket: int) -> None:
    desk = logged_in(app)
    with Session(engine) as session, session.begin():
        row = session.get(Ticket, ticket)
        assert row is not None
        row.assignee = "JH"

    result = cli("staff", "remove", "jh@mico.dk", "--by", "KB")

    assert result.code == 0, result.err
    assert "kan ikke længere logge ind" in result.out and "1 session er afsluttet" in result.out
    assert f"1 åbne sag er stadig tildelt JH, som ikke længere kan tage den: #{ticket}" in result.out
    assert desk.get("/").status_code == 302
    assert login(app.test_client()).status_code == 401
    with Session(engine) as session:
        assert {s.end_reason for s in session.scalars(select(WebSession))} == {"removed"}
    assert "fjernet" in next(line for line in cli("staff", "list").out.splitlines() if line.startswith("JH"))
    again = cli("staff", "remove", "jh@mico.dk", "--by", "KB")
    assert again.code == 2 and "ingen aktiv medarbejder med mailadressen jh@mico.dk" in again.err
    [entry] = audit(engine, "staff-remove")
    assert (entry.actor, entry.details) == ("KB", {"staff": "JH"})


def test_an_unknown_address_is_one_clear_line(cli: Any, staff: dict[str, str]) -> None:
    result = cli("staff", "passwd", "nobody@mico.dk", "--password-env", "X", "--by", "KB")
    assert result.code == 2 and result.err.strip().count("\n") == 0 and "nobody@mico.dk" in result.err


def test_a_removed_colleague_who_is_back_gets_the_same_account_with_a_new_password(
        cli: Any, app: Flask, engine: Engine, staff: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`staff add` of a removed address used to say the address was taken; the account (and the audit log's
    history of it) is made active again, and only the new password logs in."""
    assert cli("staff", "remove", "jh@mico.dk", "--by", "KB").code == 0
    monkeypatch.setenv("NEW_PW", "et helt nyt kodeord")

    result = cli("staff", "add", "JH@mico.dk", "--password-env", "NEW_PW")

    assert result.code == 0, result.err
    assert "jh@mico.dk (JH) var fjernet og er aktiv igen" in result.out
    assert login(app.test_client(), "jh@mico.dk", PASSWORD).status_code == 401
    assert login(app.test_client(), "jh@mico.dk", "et helt nyt kodeord").status_code == 302
    assert "aktiv" in next(line for line in cli("staff", "list").out.splitlines() if line.startswith("JH"))
    taken = cli("staff", "add", "jh@mico.dk", "--password-env", "NEW_PW")
    assert taken.code == 2 and "findes allerede" in taken.err
    assert cli("staff", "remove", "jh@mico.dk", "--by", "KB").code == 0
    clash = cli("staff", "add", "jh@mico.dk", "--initials", "KB", "--password-env", "NEW_PW")
    assert clash.code == 2 and "initialerne KB er optaget" in clash.err
