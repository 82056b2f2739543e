"""Login and logout, and the check that every other page has a logged-in staff member.

A login is a server-side session record (store/staff.py); the signed cookie carries only its random
token (and the CSRF token), so logout, the idle timeout and the absolute lifetime end it for good.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, g, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from inbox_worker.store.staff import SessionPolicy, end_session, session_staff, staff_by_email, start_session
from inbox_worker.web.context import db, now, web
from inbox_worker.web.passwords import verify_password
from inbox_worker.web.security import client_key, safe_next

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)
OPEN_ENDPOINTS = frozenset({"auth.login", "auth.login_post", "static"})
TOKEN = "sid"  # the cookie's key for the session token


def policy() -> SessionPolicy:
    settings = web().settings.web
    return SessionPolicy(idle=timedelta(minutes=settings.session_idle_minutes),
                         lifetime=timedelta(hours=settings.session_hours))


def require_login() -> Response | None:
    """Before every request: load the staff member of the session, or send the browser to the login page."""
    token = session.get(TOKEN)
    member = None
    if isinstance(token, str):
        member = session_staff(db(), token, now(), policy())
        db().commit()  # last seen, or the session's end when its time is up
        if member is None:
            session.pop(TOKEN, None)
    g.staff = member
    if member is None and request.endpoint not in OPEN_ENDPOINTS:
        target = request.full_path if request.method == "GET" else "/"
        return redirect(url_for("auth.login", next=target.rstrip("?")))
    return None


@bp.get("/login")
def login() -> str | Response:
    if g.get("staff") is not None:
        return redirect("/")
    return render_template("login.html", next=safe_next(request.args.get("next")), error=None)


def _refused(target: str, retry_after: int) -> Response:
    response = make_response(render_template(
        "login.html", next=target, error="For mange mislykkede forsøg. Vent et stykke tid, og prøv igen."), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/login")
def login_post() -> tuple[str, int] | Response:
    email = request.form.get("email", "").strip().lower()[:320]
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    client = client_key(request.remote_addr)
    # Reserved before the password check, so parallel attempts cannot all pass a check made before any failed.
    limiter = web().limiter
    with limiter.reserve(email, client, limiter.clock()) as attempt:
        if not attempt.allowed:
            log.warning("login refused for %s from %s: too many failed attempts", email, client)
            return _refused(target, attempt.retry_after)
        member = staff_by_email(db(), email) if email else None
        db().commit()  # no transaction (on SQLite: no write lock) held through the slow password check
        if not verify_password(member.password_hash if member else None, password) or member is None:
            attempt.failed(limiter.clock())
            return render_template("login.html", next=target, error="Forkert e-mail eller adgangskode."), 401
        attempt.succeeded(limiter.clock())
    member.last_login_at = now()
    token = start_session(db(), member.id, now(), policy())
    db().commit()
    session.clear()  # a new session at login: nothing from before it (no session fixation)
    session.permanent = True
    session[TOKEN] = token
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    token = session.get(TOKEN)
    if isinstance(token, str):
        end_session(db(), token, now())
        db().commit()
    session.clear()
    return redirect(url_for("auth.login"))
