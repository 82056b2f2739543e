"""`/healthz` (no login, no data: 200 "ok" or 503 naming the failing checks) and `/metrics` (allowed addresses only)."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, current_app, request

from inbox_worker.features.health.snapshot import HealthReport, check_health
from inbox_worker.web.context import now, web
from inbox_worker.web.metrics import WebMetrics

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED_FOR = re.compile(r'for="?\[?([^]";,]+)', re.IGNORECASE)


def _report(counts: bool = False) -> HealthReport:
    """The checks now; `counts`: with what only /metrics shows (it reads longer indexes)."""
    context = web()
    report = check_health(context.settings, context.engine, now(), counts=counts)
    if report.errors:
        log.warning("health: the database cannot be read: %s", report.errors[0])
    return report


def install(app: Flask) -> None:
    """The metrics registry and the latency hooks (before the login check, so every request is timed)."""
    metrics = WebMetrics(lambda: _report(counts=True))
    app.extensions["inbox_worker_metrics"] = metrics
    metrics.install(app)
    app.register_blueprint(bp)


def _text(body: str, status: int) -> Response:
    response = Response(body, status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    report = _report()
    if report.ok:
        return _text("ok\n", 200)
    return _text("failing: " + " ".join(report.failing) + "\n", 503)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.count(":") == 1:  # "192.0.2.1:4711"
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _claimed_clients() -> list[str]:
    """Every address the request says it passed through (a proxy in front adds the real client)."""
    claimed = [part for value in request.headers.getlist("X-Forwarded-For") for part in value.split(",")]
    claimed += request.headers.getlist("X-Real-IP")
    claimed += [match for value in request.headers.getlist("Forwarded") for match in _FORWARDED_FOR.findall(value)]
    return [part for part in claimed if part.strip()]


def metrics_allowed(remote: str | None, claimed: Iterable[str], allow: Iterable[str]) -> bool:
    """The peer and every forwarded-for address are in `web.metrics_allow`; anything unreadable is refused."""
    networks: list[Network] = [ipaddress.ip_network(entry, strict=False) for entry in allow]
    for text in [remote or "", *claimed]:
        address = _address(text)
        if address is None or not any(address in network for network in networks):
            return False
    return True


@bp.get("/metrics")
def metrics() -> Response:
    if not metrics_allowed(request.remote_addr, _claimed_clients(), web().settings.web.metrics_allow):
        return _text("forbidden\n", 403)
    body, content_type = current_app.extensions["inbox_worker_metrics"].exposition()
    response = Response(body, 200, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
