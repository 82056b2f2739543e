"""Staff accounts for the web UI and their login sessions. Holds hashes only, never passwords or session tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from inbox_worker.errors import UserError
from inbox_worker.store.models import Staff, WebSession

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INITIALS = re.compile(r"^[A-ZÆØÅ0-9]{1,16}$")


def default_initials(email: str, name: str) -> str:
    words = [w for w in re.split(r"[\s.\-_]+", name or email.partition("@")[0]) if w]
    return "".join(w[0] for w in words[:3]).upper() or "X"


def add_staff(session: Session, email: str, name: str, initials: str, password_hash: str, now: datetime) -> Staff:
    """A new, active staff member; a taken email or initials is refused with a clear message."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserError(f"'{email}' er ikke en mailadresse")
    initials = (initials or default_initials(email, name)).strip().upper()
    if not _INITIALS.match(initials):
        raise UserError(f"initialerne '{initials}' skal være 1-16 bogstaver eller cifre")
    if session.scalar(select(Staff.id).where(Staff.email == email)) is not None:
        raise UserError(f"der findes allerede en medarbejder med mailadressen {email}")
    if session.scalar(select(Staff.id).where(Staff.initials == initials)) is not None:
        raise UserError(f"initialerne {initials} er optaget; vælg andre med --initials")
    staff = Staff(email=email, name=name.strip(), initials=initials, password_hash=password_hash, active=True,
                  created_at=now, last_login_at=None)
    session.add(staff)
    session.flush()
    return staff


def reactivate_staff(session: Session, email: str, name: str, initials: str, password_hash: str) -> Staff | None:
    """A removed colleague who is back: the same account (so the audit log's history stays theirs), active
    again with a new password; name and initials are changed only when given. None when there is no
    removed account with that address."""
    member = session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active.is_(False)))
    if member is None:
        return None
    initials = initials.strip().upper()
    if initials and initials != member.initials:
        if not _INITIALS.match(initials):
            raise UserError(f"initialerne '{initials}' skal være 1-16 bogstaver eller cifre")
        if session.scalar(select(Staff.id).where(Staff.initials == initials)) is not None:
            raise UserError(f"initialerne {initials} er optaget; vælg andre med --initials")
        member.initials = initials
    if name.strip():
        member.name = name.strip()
    member.password_hash, member.active = password_hash, True
    session.flush()
    return member


def staff_by_email(session: Session, email: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active.is_(True)))


def staff_by_id(session: Session, staff_id: int) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.id == staff_id, Staff.active.is_(True)))


def set_password(session: Session, staff_id: int, password_hash: str, now: datetime) -> int:
    """A new password hash; every session of the staff member ends (a stolen cookie dies with the old password).

    Returns how many sessions ended."""
    session.execute(update(Staff).where(Staff.id == staff_id).values(password_hash=password_hash))
    return end_staff_sessions(session, staff_id, now, "password")


def remove_staff(session: Session, staff_id: int, now: datetime) -> int:
    """The staff member can no longer log in, and every session of theirs ends now (the row stays for the audit log).

    Returns how many sessions ended."""
    session.execute(update(Staff).where(Staff.id == staff_id).values(active=False))
    return end_staff_sessions(session, staff_id, now, "removed")


# --- login sessions: the cookie holds a random token, the table its sha256 ------------------------------------


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta  # a session not seen for this long has ended
    lifetime: timedelta  # a session this old has ended, however active

    @property
    def touch_every(self) -> timedelta:
        """How stale `last_seen_at` may get before a request rewrites it (not every request writes)."""
        return min(timedelta(minutes=1), self.idle / 10)


KEEP_ENDED = timedelta(days=30)  # ended sessions are kept this long past their lifetime (who was logged in when)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, staff_id: int, now: datetime, policy: SessionPolicy) -> str:
    """A new session for the staff member; returns its token (for the cookie), of which only the hash is stored."""
    session.execute(delete(WebSession).where(WebSession.staff_id == staff_id,
                                             WebSession.created_at < now - policy.lifetime - KEEP_ENDED))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_token_hash(token), staff_id=staff_id, created_at=now, last_seen_at=now))
    session.flush()
    return token


def _ended_by_time(row: WebSession, now: datetime, policy: SessionPolicy) -> str | None:
    if now - row.created_at >= policy.lifetime:
        return "expired"
    if now - row.last_seen_at >= policy.idle:
        return "idle"
    return None


def session_staff(session: Session, token: str, now: datetime, policy: SessionPolicy) -> Staff | None:
    """The active staff member whose live session the token names, else None (a session past its time is ended)."""
    found = session.execute(select(WebSession, Staff).join(Staff, Staff.id == WebSession.staff_id)
                            .where(WebSession.token_hash == _token_hash(token))).first()
    if found is None:
        return None
    row, member = found
    if row.ended_at is not None:
        return None
    reason = _ended_by_time(row, now, policy) or (None if member.active else "removed")
    if reason is not None:
        row.ended_at, row.end_reason = now, reason
        return None
    if now - row.last_seen_at >= policy.touch_every:
        row.last_seen_at = now
    return member


def end_session(session: Session, token: str, now: datetime, reason: str = "logout") -> None:
    session.execute(update(WebSession).where(WebSession.token_hash == _token_hash(token),
                                             WebSession.ended_at.is_(None)).values(ended_at=now, end_reason=reason))


def end_staff_sessions(session: Session, staff_id: int, now: datetime, reason: str) -> int:
    """End every live session of the staff member; returns how many there were."""
    result = session.execute(update(WebSession).where(WebSession.staff_id == staff_id, WebSession.ended_at.is_(None))
                             .values(ended_at=now, end_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)
