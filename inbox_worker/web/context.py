"""Per-app and per-request state of the web UI: settings, the database session, the logged-in staff member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox_worker.config import Settings
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.mail.pipeline import PipelineParams
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.files import AttachmentStore
from inbox_worker.store.models import Staff
from inbox_worker.web.security import LoginLimiter


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: Renderer
    attachments: AttachmentStore
    limiter: LoginLimiter

    @cached_property
    def calendar(self) -> WorkCalendar:
        """MICO's working-time calendar, from `[company]` exactly as the pipeline builds it."""
        return WorkCalendar(PipelineParams.from_settings(self.settings).hours)


def web() -> WebContext:
    context: WebContext = current_app.extensions["inbox_worker"]
    return context


def db() -> Session:
    """The request's database session, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = web().sessions()
    session: Session = g.db
    return session


def close_db(_error: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def staff() -> Staff:
    """The logged-in staff member (every page but the login page has one)."""
    member: Staff = g.staff
    return member


def now() -> datetime:
    return datetime.now(UTC)
