"""/healthz and /metrics: no login, no data in /healthz, /metrics only for allowed addresses and live after a poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from imapclient.exceptions import LoginError
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from inbox_worker.config import Settings
from inbox_worker.mail.sources.imap import mailbox_key
from inbox_worker.mail.worker import MailboxWorker
from inbox_worker.store import health
from inbox_worker.web import create_app
from tests.conftest import make_settings
from tests.integration.test_imap_worker import mails


def beat(settings: Settings, engine: Engine, minutes_ago: float = 0) -> None:
    """`run` started and wrote its heartbeat `minutes_ago` (a real row, as the worker writes it)."""
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    health.started(engine, mailbox_key(settings.mailbox), moment, "worker-host:1")
    health.succeeded(engine, mailbox_key(settings.mailbox), moment, "worker-host:1", beat=True)


def test_healthz_is_ok_without_a_login_while_the_worker_beats(app: Flask, settings: Settings, engine: Engine) -> None:
    beat(settings, engine)
    with app.test_client() as client:
        response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_naming_only_the_stale_heartbeat(app: Flask, settings: Settings, engine: Engine) -> None:
    beat(settings, engine, minutes_ago=6)  # heartbeat_stale_minutes is 5
    with app.test_client() as client:
        response = client.get("/healthz")
    assert (response.status_code, response.text) == (503, "failing: worker_heartbeat\n")


def test_healthz_before_the_worker_ever_ran_and_with_a_broken_database(app: Flask, engine: Engine) -> None:
    with app.test_client() as client:
        assert client.get("/healthz").text == "failing: worker_heartbeat\n"
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE worker_status"))
        response = client.get("/healthz")
    assert (response.status_code, response.text) == (503, "failing: database\n")  # never the error itself


def scrape(app: Flask, **environ: Any) -> dict[str, float]:
    """The scraped samples as {'name{label="value"}': value}."""
    with app.test_client() as client:
        response = client.get("/metrics", environ_base=environ)
    assert response.status_code == 200, response.text
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


@pytest.fixture
def imap_app(tmp_path: Path, db_url: str, engine: Engine, dovecot: Any) -> tuple[Flask, Settings]:
    settings = make_settings(tmp_path, db_url, web={"secret_key": "test-secret-key-not-for-production"}, mailbox={
        "host": "127.0.0.1", "port": dovecot.port, "ssl": False, "username": dovecot.user,
        "password": dovecot.password, "processed_folder": "Behandlet", "timeout_seconds": 10.0})
    app = create_app(settings, engine)
    app.testing = True
    return app, settings


def test_metrics_change_after_a_poll_of_the_real_mailbox(imap_app: tuple[Flask, Settings], engine: Engine,
                                                         dovecot: Any) -> None:
    app, settings = imap_app
    box = f'mailbox="{mailbox_key(settings.mailbox)}"'
    before = scrape(app)
    dovecot.append(mails(3))
    worker = MailboxWorker(settings, engine, parallel=False)
    try:
        worker.run_once()
    finally:
        worker.close()
    after = scrape(app)

    assert before.get('inbox_worker_mails_total{outcome="new_ticket"}', 0) == 0
    assert after['inbox_worker_mails_total{outcome="new_ticket"}'] == 3
    assert f"inbox_worker_poll_last_success_timestamp_seconds{{{box}}}" not in before
    polled = after[f"inbox_worker_poll_last_success_timestamp_seconds{{{box}}}"]
    assert abs(polled - datetime.now(UTC).timestamp()) < 120
    assert after[f"inbox_worker_poll_successes_total{{{box}}}"] == 1
    assert after[f"inbox_worker_poll_errors_total{{{box}}}"] == 0
    assert after['inbox_worker_outbox_messages{status="queued"}'] == before['inbox_worker_outbox_messages{status="queued"}'] + 3
    assert after["inbox_worker_outbox_oldest_unsent_age_seconds"] >= 0
    assert after["inbox_worker_quarantine_size"] == 0
    assert after['inbox_worker_health_check_ok{check="database"}'] == 1
    assert after['inbox_worker_web_request_duration_seconds_count{endpoint="health.metrics",method="GET"}'] >= 1


def test_a_refused_poll_shows_as_errors_and_a_failing_check(imap_app: tuple[Flask, Settings], engine: Engine) -> None:
    app, settings = imap_app
    wrong = make_settings(Path(settings.storage.attachments_dir).parent, settings.database.url,
                          mailbox={**_mailbox(settings), "password": "not-the-password"})
    worker = MailboxWorker(wrong, engine, parallel=False)
    with pytest.raises(LoginError):  # Dovecot refuses the login
        worker.cycle()
    worker.close()
    samples = scrape(app)
    box = f'mailbox="{mailbox_key(settings.mailbox)}"'
    assert samples[f"inbox_worker_poll_errors_total{{{box}}}"] == 1
    assert samples[f"inbox_worker_poll_consecutive_errors{{{box}}}"] == 1
    assert samples['inbox_worker_health_check_ok{check="polling"}'] == 0
    assert samples['inbox_worker_condition_present{condition="polling-failing"}'] == 1


def _mailbox(settings: Settings) -> dict[str, Any]:
    box = settings.mailbox
    return {"host": box.host, "port": box.port, "ssl": box.ssl, "username": box.username,
            "processed_folder": box.processed_folder, "timeout_seconds": box.timeout_seconds}


def test_metrics_only_for_allowed_addresses_also_behind_a_proxy(tmp_path: Path, db_url: str, engine: Engine) -> None:
    settings = make_settings(tmp_path, db_url, web={"secret_key": "k" * 32,
                                                     "metrics_allow": ["127.0.0.1", "::1", "10.20.0.0/16"]})
    app = create_app(settings, engine)
    with app.test_client() as client:
        def status(remote: str, **headers: str) -> int:
            return client.get("/metrics", environ_base={"REMOTE_ADDR": remote}, headers=headers).status_code

        assert status("127.0.0.1") == 200 and status("::1") == 200 and status("10.20.3.4") == 200
        assert status("::ffff:10.20.3.4") == 200
        assert status("10.21.0.1") == 403 and status("192.0.2.7") == 403
        # nginx in front on 127.0.0.1 names the real client: an outside one is refused, an inside one let in
        assert status("127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}) == 403
        assert status("127.0.0.1", **{"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}) == 403
        assert status("127.0.0.1", **{"X-Forwarded-For": "10.20.9.9"}) == 200
        assert status("127.0.0.1", **{"X-Real-IP": "203.0.113.9"}) == 403
        assert status("127.0.0.1", Forwarded='for="[2001:db8::1]:4711";proto=https') == 403
        assert status("127.0.0.1", Forwarded="for=unknown") == 403
        refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert refused.text == "forbidden\n" and b"inbox_worker" not in refused.data


def test_the_monitoring_endpoints_need_no_login_and_the_rest_still_does(app: Flask, staff: Any) -> None:
    with app.test_client() as client:
        assert client.get("/healthz").status_code in (200, 503)
        assert client.get("/metrics").status_code == 200
        assert client.get("/").status_code == 302  # the queue: to the login page
        assert client.get("/outbox").status_code == 302
