"""Serve the web UI with waitress (a production WSGI server), and create staff logins from the command line."""

from __future__ import annotations

import getpass
import os
import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.errors import UserError
from inbox_worker.store.staff import add_staff, reactivate_staff, staff_by_email
from inbox_worker.web.passwords import MIN_LENGTH, hash_password


def serve(settings: Settings, engine: Engine, host: str, port: int) -> None:
    from waitress import serve as waitress_serve

    from inbox_worker.web.app import create_app

    app = create_app(settings, engine)
    print(f"Webgrænsefladen kører på http://{host}:{port}/ (stop med Ctrl+C)", flush=True)
    waitress_serve(app, host=host, port=port, threads=settings.web.threads, ident="inbox-worker")


def password_from(env_name: str | None) -> str:
    """The new password: from the named environment variable, else asked twice on the terminal."""
    if env_name:
        if env_name not in os.environ:
            raise UserError(f"--password-env peger på ${env_name}, som ikke er sat")
        return os.environ[env_name]
    first = getpass.getpass("Adgangskode: ")
    if first != getpass.getpass("Gentag adgangskoden: "):
        raise UserError("de to adgangskoder er ikke ens")
    return first


def create_staff(engine: Engine, email: str, name: str, initials: str, password: str) -> tuple[str, str]:
    """(email, initials) of the new staff member; a removed colleague's account is made active again."""
    email, initials, _ = add_or_reactivate_staff(engine, email, name, initials, password)
    return email, initials


def add_or_reactivate_staff(engine: Engine, email: str, name: str, initials: str,
                            password: str) -> tuple[str, str, bool]:
    """(email, initials, whether a removed account was made active again)."""
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with Session(engine) as session, session.begin():
        member = reactivate_staff(session, email, name, initials, password_hash)
        back = member is not None
        if member is None:
            member = add_staff(session, email, name, initials, password_hash, datetime.now(UTC))
        return member.email, member.initials, back


def demo_login(engine: Engine) -> tuple[str, str] | None:
    """A demo staff login (JH, the demo customers' account manager) with a fresh random password.

    Returns (email, password) the first time; None when it exists already (its password is not kept).
    """
    email = "demo@mico.dk"
    with Session(engine) as session:
        if staff_by_email(session, email) is not None:
            return None
    password = secrets.token_urlsafe(12)
    assert len(password) >= MIN_LENGTH
    create_staff(engine, email, "Demo Medarbejder", "JH", password)
    return email, password
