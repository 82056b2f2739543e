"""Prometheus metrics (prometheus-client, used here only): the worker's state read at scrape time, web latency.

The worker's numbers come from the database when /metrics is scraped (a custom collector over the
health snapshot), so the web process needs no state shared with the worker; the request latency
histogram is this web process's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from inbox_worker.domain.health import ComponentStatus, HealthSnapshot
from inbox_worker.features.health.rules import CHECKS
from inbox_worker.features.health.snapshot import HealthReport

P = "inbox_worker_"


def _gauge(name: str, doc: str, value: float | None, labels: dict[str, str] | None = None) -> Iterator[Metric]:
    if value is None:
        return
    family = GaugeMetricFamily(P + name, doc, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    yield family


def _counter(name: str, doc: str, label: str, values: dict[str, int]) -> Metric:
    family = CounterMetricFamily(P + name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def _component(prefix: str, what: str, status: ComponentStatus | None, now: datetime,
               labels: dict[str, str]) -> Iterator[Metric]:
    if status is None:
        return
    ok = status.last_ok_at
    yield from _gauge(f"{prefix}_last_success_timestamp_seconds", f"when {what} last worked (Unix time)",
                      ok.timestamp() if ok else None, labels)
    yield from _gauge(f"{prefix}_last_success_age_seconds", f"seconds since {what} last worked",
                      (now - ok).total_seconds() if ok else None, labels)
    yield from _gauge(f"{prefix}_consecutive_errors", f"failures of {what} in a row now", status.consecutive_errors,
                      labels)
    for name, doc, value in ((f"{prefix}_successes", f"times {what} worked", status.ok_count),
                             (f"{prefix}_errors", f"times {what} failed", status.error_count)):
        family = CounterMetricFamily(P + name, doc, labels=list(labels))
        family.add_metric(list(labels.values()), value)
        yield family


def _worker(s: HealthSnapshot) -> Iterator[Metric]:
    mailbox = {"mailbox": s.mailbox}
    yield from _component("poll", "polling the mailbox", s.poll, s.now, mailbox)
    beat = s.poll.heartbeat_at if s.poll else None
    yield from _gauge("heartbeat_age_seconds", "seconds since the worker's last heartbeat",
                      (s.now - beat).total_seconds() if beat else None, mailbox)
    yield from _component("smtp", "delivering outgoing mail", s.smtp, s.now, {})
    yield _counter("mails", "decisions taken on incoming mail, by outcome (duplicate copies included)", "outcome",
                   s.mails_by_outcome)
    yield from _gauge("quarantine_size", "mails in quarantine now", s.quarantine.size)
    statuses: dict[str, int] = {}
    for (status, _kind), n in s.outbox.counts.items():
        statuses[status] = statuses.get(status, 0) + n
    family = GaugeMetricFamily(P + "outbox_messages", "outbox rows by status", labels=["status"])
    for status in ("queued", "sending", "sent", "failed", "uncertain", "cancelled"):
        family.add_metric([status], statuses.get(status, 0))
    yield family
    oldest = s.outbox.oldest_unsent_at
    yield from _gauge("outbox_oldest_unsent_age_seconds", "age of the oldest queued or sending row (0: none)",
                      (s.now - oldest).total_seconds() if oldest else 0.0)
    yield _counter("outbox_sent", "mail sent, by kind (ack, reply, summary, oncall, alert)", "kind",
                   {kind: n for (status, kind), n in s.outbox.counts.items() if status == "sent"})
    for disk in s.disks:
        yield from _gauge("disk_free_bytes", "free space on the file system of the attachments or database",
                          disk.free_bytes, {"path": disk.path})


class HealthCollector(Collector):
    """Reads the health snapshot at each scrape."""

    def __init__(self, read: Callable[[], HealthReport]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        report = self.read()
        checks = GaugeMetricFamily(P + "health_check_ok", "1 when the /healthz check passes", labels=["check"])
        for check in CHECKS:
            checks.add_metric([check], 0.0 if check in report.failing else 1.0)
        yield checks
        present = GaugeMetricFamily(P + "condition_present", "alert conditions found now", labels=["condition"])
        for found in report.found:
            present.add_metric([found.condition.value], 1.0)
        yield present
        if report.snapshot is not None:
            yield from _worker(report.snapshot)


class WebMetrics:
    """One app's registry: the health collector, this process's request latency, and its process metrics."""

    def __init__(self, read: Callable[[], HealthReport]) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(HealthCollector(read))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.latency = Histogram(P + "web_request_duration_seconds", "web requests, by endpoint and method",
                                 ["endpoint", "method"], registry=self.registry)

    def install(self, app: Flask) -> None:
        app.before_request(self._start)
        app.after_request(self._observe)

    @staticmethod
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    def _observe(self, response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            self.latency.labels(request.endpoint or "none", request.method).observe(time.perf_counter() - started)
        return response

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
