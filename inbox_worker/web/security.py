"""Web security in one place: CSRF tokens on every POST, response headers, and the login rate limit."""

from __future__ import annotations

import ipaddress
import math
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
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


# The login limit (OWASP: throttle the pair, never hard-lock an account anyone can name):
CLIENT_FACTOR = 4  # one client: refused after 4x login_max_failures over all addresses (password spraying)
ADDRESS_FACTOR = 10  # one address over all clients: slowed down after 10x, never locked out
MAX_DELAY = 60.0  # ... by 1, 2, 4 ... seconds between its attempts, at most this many
KNOWN_FOR = 30 * 24 * 3600.0  # a client the address logged in from is exempt from that slow-down this long


def client_key(remote_addr: str | None) -> str:
    """The client a login comes from: its IP address; for IPv6 its /64 (one machine usually holds the whole /64)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return remote_addr or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass
class LoginAttempt:
    """A reserved login attempt: counted as in flight until it is settled as failed or succeeded (or released)."""

    limiter: LoginLimiter
    address: str
    client: str
    allowed: bool
    retry_after: int = 0  # seconds, when refused
    settled: bool = field(default=False, repr=False)

    def failed(self, moment: float) -> None:
        self.limiter._settle(self, moment, succeeded=False)

    def succeeded(self, moment: float) -> None:
        self.limiter._settle(self, moment, succeeded=True)

    def __enter__(self) -> LoginAttempt:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.allowed and not self.settled:  # an error before the verdict: the attempt counts as nothing
            self.limiter._settle(self, 0.0, succeeded=None)


class LoginLimiter:
    """Failed logins within a sliding window, checked and reserved atomically before the (slow) password check.

    Per (address, client) pair: `max_failures`, then that pair is refused until the window has passed; a successful
    login clears the pair only. Per client: `CLIENT_FACTOR` times as many over all addresses. Per address over all
    clients: from `ADDRESS_FACTOR` times as many on, attempts are spaced by a delay that doubles per failure (at most
    `MAX_DELAY`) rather than refused outright, and clients the address logged in from before skip even that: someone
    failing a staff member's address elsewhere cannot lock them out of their own machine. Attempts still being
    checked count as failures, so parallel requests cannot slip past the limit.
    """

    def __init__(self, max_failures: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # seconds, for the moments the login view passes in (a test holds it still)
        self.pair_limit = max_failures
        self.client_limit = max_failures * CLIENT_FACTOR
        self.address_threshold = max_failures * ADDRESS_FACTOR
        self.window = float(window_seconds)
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._in_flight: Counter[tuple[str, ...]] = Counter()
        self._known: dict[tuple[str, str], float] = {}  # (address, client) -> when it last logged in
        self._address_next: dict[str, float] = {}  # address -> no attempt from an unknown client before this
        self._swept = 0.0
        self._lock = threading.Lock()

    def reserve(self, address: str, client: str, moment: float) -> LoginAttempt:
        """Allow and count one attempt now, or refuse it (with the seconds to wait); never both for two threads."""
        with self._lock:
            self._sweep(moment)
            pair, per_client = ("pair", address, client), ("client", client)
            # The address's slot is taken last, only by an attempt that passes the other limits.
            wait = (max(self._wait(pair, self.pair_limit, moment), self._wait(per_client, self.client_limit, moment))
                    or self._address_wait(address, client, moment))
            if wait > 0:
                return LoginAttempt(self, address, client, allowed=False, retry_after=max(1, math.ceil(wait)))
            self._in_flight[pair] += 1
            self._in_flight[per_client] += 1
            return LoginAttempt(self, address, client, allowed=True)

    def _recent(self, key: tuple[str, ...], moment: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= moment - self.window:
            failures.popleft()
        return failures

    def _wait(self, key: tuple[str, ...], limit: int, moment: float) -> float:
        """Seconds until `key` may try again (0: now); failures and attempts in flight both count."""
        failures = self._recent(key, moment)
        if len(failures) + self._in_flight[key] < limit:
            return 0.0
        return failures[0] + self.window - moment if failures else 1.0

    def _address_wait(self, address: str, client: str, moment: float) -> float:
        """The progressive slow-down of an address failed from many clients; a client it logged in from skips it."""
        known = self._known.get((address, client))
        if known is not None and moment - known < KNOWN_FOR:
            return 0.0
        excess = len(self._recent(("address", address), moment)) - self.address_threshold
        if excess < 0:
            return 0.0
        not_before = self._address_next.get(address, 0.0)
        if moment < not_before:
            return not_before - moment
        self._address_next[address] = moment + min(2.0 ** excess, MAX_DELAY)  # this attempt takes the slot
        return 0.0

    def _settle(self, attempt: LoginAttempt, moment: float, succeeded: bool | None) -> None:
        with self._lock:
            if attempt.settled or not attempt.allowed:
                return
            attempt.settled = True
            pair, per_client = ("pair", attempt.address, attempt.client), ("client", attempt.client)
            for key in (pair, per_client):
                self._in_flight[key] -= 1
                if self._in_flight[key] <= 0:
                    del self._in_flight[key]
            if succeeded is None:
                return
            if succeeded:
                self._failures.pop(pair, None)
                self._known[(attempt.address, attempt.client)] = moment
                return
            for key in (pair, per_client, ("address", attempt.address)):
                self._recent(key, moment).append(moment)

    def _sweep(self, moment: float) -> None:
        """Once a window, forget keys with no failure left in it (memory stays bounded by one window's traffic)."""
        if moment - self._swept < self.window:
            return
        self._swept = moment
        for key in [key for key in self._failures if not self._recent(key, moment)]:
            del self._failures[key]
        for address in [a for a, until in self._address_next.items() if until <= moment]:
            del self._address_next[address]
        for known in [k for k, when in self._known.items() if moment - when >= KNOWN_FOR]:
            del self._known[known]
