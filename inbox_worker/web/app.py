"""The Flask app factory: configuration, security hooks, template helpers and the page blueprints."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, render_template, request
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from inbox_worker.config import Settings
from inbox_worker.domain.money import kroner
from inbox_worker.errors import DatabaseBusy
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.db import is_busy, make_engine
from inbox_worker.store.files import AttachmentStore
from inbox_worker.web import auth, security
from inbox_worker.web.context import WebContext, close_db
from inbox_worker.web.labels import duration, label

log = logging.getLogger(__name__)


def _secret_key(settings: Settings) -> str:
    if settings.web.secret_key:
        return settings.web.secret_key
    log.warning("web.secret_key is not set: using a random key, so logins end when the server restarts")
    return secrets.token_urlsafe(48)


def _configure(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_NAME="mico_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.web.session_hours),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )


def _template_helpers(app: Flask, settings: Settings) -> None:
    zone = ZoneInfo(settings.company.timezone)

    def local(moment: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
        return moment.astimezone(zone).strftime(fmt) if moment else "–"

    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["kroner"] = kroner
    app.jinja_env.globals["company"] = settings.company


def _error_page(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", error=error), error.code or 500


RETRY_AFTER_SECONDS = 5


def _database_busy_page(error: OperationalError | DatabaseBusy) -> tuple[str, int, dict[str, str]]:
    """A locked database (a long ingest holds it) is a 503 with Retry-After and one log line, never a 500.

    Also when the lock was met by work the page started (the quarantine desk's Runner says DatabaseBusy).
    """
    if isinstance(error, OperationalError) and not is_busy(error):
        raise error
    detail = str(error.orig if isinstance(error, OperationalError) else error).strip()
    reason = detail.splitlines()[0] if detail else type(error).__name__
    log.warning("database busy, answered 503: %s %s (%s)", request.method, request.path, reason)
    page = ServiceUnavailable(description="Databasen er optaget lige nu – prøv igen om et øjeblik.")
    return render_template("error.html", error=page), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def create_app(settings: Settings, engine: Engine | None = None) -> Flask:
    """The web UI over `settings` (templates/web/ for pages, templates/web/static/ for the stylesheet)."""
    folder = Path(settings.paths.templates) / "web"
    app = Flask(__name__, template_folder=str(folder), static_folder=str(folder / "static"))
    _configure(app, settings)
    engine = engine or make_engine(settings.database.url, settings.database.busy_timeout_seconds)
    app.extensions["inbox_worker"] = WebContext(
        settings, engine, sessionmaker(engine, expire_on_commit=False), Renderer(settings),
        AttachmentStore(settings.storage.attachments_dir, int(settings.storage.max_attachment_mb * 1024 * 1024)),
        security.LoginLimiter(settings.web.login_max_failures, settings.web.login_window_seconds))
    security.install(app)
    from inbox_worker.web import health_page

    health_page.install(app)  # /healthz, /metrics and the request timing: before the login check
    app.before_request(auth.require_login)
    from inbox_worker.web import presence

    presence.install(app)  # "også åben hos" on the ticket page, and its heartbeat
    app.teardown_appcontext(close_db)
    _template_helpers(app, settings)
    from inbox_worker.web import (
        bulk_actions,
        customer_page,
        outbox_page,
        phone_page,
        privacy_export,
        profile_page,
        quarantine_page,
        queue_page,
        reply_actions,
        sender_actions,
        sla_page,
        ticket_actions,
        ticket_page,
        ticket_targets,
        ticket_time,
    )

    for module in (auth, queue_page, bulk_actions, ticket_page, ticket_actions, reply_actions, sender_actions,
                   profile_page, ticket_time, ticket_targets, customer_page, privacy_export, phone_page, sla_page,
                   quarantine_page, outbox_page):  # the last two: the desks for what failed
        app.register_blueprint(module.bp)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(OperationalError, _database_busy_page)
    app.register_error_handler(DatabaseBusy, _database_busy_page)
    return app

