"""Web security in one place: CSRF tokens on every POST, response headers, and the login rate limit."""

from __future__ import annotations

import secrets
import threading
from collections import deque
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request, session

# No inline script and no script from anywhere but us; remote images are blocked (mail can't track readers).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's CSRF token, created on first use; every form carries it as `csrf_token`."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    """Refuse (400) any state-changing request whose form token does not match the session's."""
    if request.method not in UNSAFE_METHODS:
        return
    expected, given = session.get("csrf"), request.form.get("csrf_token", "")
    if not expected or not given or not secrets.compare_digest(str(expected), given):
        abort(400, description="Formularen er udløbet eller ugyldig (CSRF). Genindlæs siden og prøv igen.")


def set_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path on this site (never another host)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def install(app: Flask) -> None:
    app.before_request(check_csrf)
    app.after_request(set_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


class LoginLimiter:
    """Failed logins per key (address, client) within a sliding window; over the limit, logins are refused."""

    def __init__(self, max_failures: int, window_seconds: float) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, moment: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= moment - self.window:
            failures.popleft()
        return failures

    def blocked(self, keys: list[str], moment: float) -> bool:
        with self._lock:
            return any(len(self._recent(key, moment)) >= self.max_failures for key in keys)

    def failed(self, keys: list[str], moment: float) -> None:
        with self._lock:
            for key in keys:
                self._recent(key, moment).append(moment)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
