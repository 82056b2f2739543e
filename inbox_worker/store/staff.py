"""Staff accounts for the web UI: create, find, record a login. Holds hashes only, never passwords."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.errors import UserError
from inbox_worker.store.models import Staff

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INITIALS = re.compile(r"^[A-ZÆØÅ0-9]{1,16}$")


def default_initials(email: str, name: str) -> str:
    words = [w for w in re.split(r"[\s.\-_]+", name or email.partition("@")[0]) if w]
    return "".join(w[0] for w in words[:3]).upper() or "X"


def add_staff(session: Session, email: str, name: str, initials: str, password_hash: str, now: datetime) -> Staff:
    """A new, active staff member; a taken email or initials is refused with a clear message."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserError(f"'{email}' is not an email address")
    initials = (initials or default_initials(email, name)).strip().upper()
    if not _INITIALS.match(initials):
        raise UserError(f"initials '{initials}' must be 1-16 letters or digits")
    if session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise UserError(f"a staff member with the email {email} exists already")
    if session.scalar(select(Staff.id).where(Staff.initials == initials)) is not None:
        raise UserError(f"the initials {initials} are taken; choose others with --initials")
    staff = Staff(email=email, name=name.strip(), initials=initials, password_hash=password_hash, active=True,
                  created_at=now, last_login_at=None)
    session.add(staff)
    session.flush()
    return staff


def staff_by_email(session: Session, email: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active.is_(True)))


def staff_by_id(session: Session, staff_id: int) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.id == staff_id, Staff.active.is_(True)))
