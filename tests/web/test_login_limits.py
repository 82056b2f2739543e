"""The login limit: atomic under parallel attempts (issue item 10b), and no lockout of a staff member by someone
failing their address from elsewhere (item 10c). The test settings allow login_max_failures = 3."""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from inbox_worker.web import create_app
from inbox_worker.web.security import LoginLimiter, client_key
from tests.conftest import make_settings
from tests.web.conftest import login
from tests.web.live import serving

ATTACKER, ALICE_DESK = "203.0.113.66", "192.0.2.10"


def from_client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login_form(url: str) -> tuple[str, str]:
    """(cookie, csrf token) of a fresh login page, as a browser gets them."""
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60)
    connection.request("GET", "/login")
    response = connection.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert cookie and match
    connection.close()
    return cookie, match.group(1)


def _post_login(url: str, cookie: str, csrf: str, password: str, start: threading.Barrier) -> int:
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=120)
    body = urlencode({"email": "jh@mico.dk", "password": password, "csrf_token": csrf})
    start.wait()
    connection.request("POST", "/login", body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    status = connection.getresponse().status
    connection.close()
    return status


def test_100_parallel_attempts_get_no_more_password_checks_than_the_limit(app: Flask, staff: dict[str, str]) -> None:
    with serving(app, threads=50) as url:
        forms = [_login_form(url) for _ in range(100)]
        start = threading.Barrier(100)
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda f=form, n=n: statuses.append(
            _post_login(url, f[0], f[1], f"forkert-gæt-{n:03d}", start))) for n, form in enumerate(forms)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    counts = Counter(statuses)
    # 401 is answered only after the password was checked; 429 before any check.
    assert counts[401] == 3 and counts[429] == 97, counts


def test_failing_alices_address_from_one_client_does_not_lock_her_out_of_her_own(app: Flask,
                                                                                 staff: dict[str, str]) -> None:
    attacker = from_client(app, ATTACKER)
    answers = Counter(login(attacker, password=f"gæt-{n}-gæt").status_code for n in range(50))
    assert answers == {401: 3, 429: 47}  # the attacker is throttled after login_max_failures
    assert login(attacker).status_code == 429  # even the right password, from there

    alice = from_client(app, ALICE_DESK)
    assert login(alice).status_code == 302
    assert alice.get("/").status_code == 200
    assert login(attacker).status_code == 429  # her login did not clear the attacker's pair


def test_a_client_guessing_many_addresses_is_refused_for_all(app: Flask, staff: dict[str, str]) -> None:
    sprayer = from_client(app, ATTACKER)
    answers = [login(sprayer, f"gaet{n}@mico.dk", "sommer2026!").status_code for n in range(12)]
    assert answers == [401] * 12  # 4 x login_max_failures over all addresses
    assert login(sprayer, "kb@mico.dk").status_code == 429
    assert login(from_client(app, ALICE_DESK), "kb@mico.dk").status_code == 302


def test_a_successful_login_clears_only_its_own_pair(app: Flask, staff: dict[str, str]) -> None:
    alice = from_client(app, ALICE_DESK)
    assert [login(alice, password="tastefejl-1").status_code for _ in range(2)] == [401, 401]
    assert login(alice).status_code == 302
    answers = [login(from_client(app, ALICE_DESK), password="tastefejl-2").status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]  # counted afresh after her success


def test_an_address_failed_from_many_clients_is_slowed_down_but_not_from_where_it_logged_in(
        tmp_path: Path, db_url: str, engine: Engine, staff: dict[str, str]) -> None:
    settings = make_settings(tmp_path, db_url, web={"secret_key": "k" * 32, "login_max_failures": 1})
    app = create_app(settings, engine)
    # The limiter's clock stands still: a slow password check on a busy machine must not let the delay pass.
    app.extensions["inbox_worker"].limiter.clock = lambda: 1000.0
    assert login(from_client(app, ALICE_DESK)).status_code == 302  # alice's usual machine
    for n in range(10):  # a botnet: 10 clients failing once each = 10 x login_max_failures
        assert login(from_client(app, f"198.51.100.{n + 1}"), password="gæt-gæt-gæt").status_code == 401
    first, second = from_client(app, "198.51.100.200"), from_client(app, "198.51.100.201")
    assert login(first, password="gæt-gæt-gæt").status_code == 401  # one attempt per delay ...
    slowed = login(second, password="gæt-gæt-gæt")
    assert slowed.status_code == 429 and 1 <= int(slowed.headers["Retry-After"]) <= 60  # ... for unknown clients
    assert login(from_client(app, ALICE_DESK)).status_code == 302  # her machine is not slowed at all


# --- the limiter itself, with the clock in hand -----------------------------------------------------------------


def test_the_delay_on_a_much_failed_address_doubles_and_is_capped() -> None:
    limiter = LoginLimiter(max_failures=1, window_seconds=3600)  # so: address slowed from 10 failures
    moment = 1000.0
    for n in range(10):
        attempt = limiter.reserve("alice@mico.dk", f"10.0.0.{n}", moment)
        assert attempt.allowed
        attempt.failed(moment)
    delays = []
    for n in range(10):
        attempt = limiter.reserve("alice@mico.dk", f"10.1.0.{n}", moment)
        assert attempt.allowed
        attempt.failed(moment)
        refused = limiter.reserve("alice@mico.dk", f"10.2.0.{n}", moment)
        assert not refused.allowed
        delays.append(refused.retry_after)
        moment += refused.retry_after
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_attempts_in_flight_count_against_the_limit_and_a_crash_mid_check_counts_as_nothing() -> None:
    limiter = LoginLimiter(max_failures=2, window_seconds=60)
    first, second = limiter.reserve("a@mico.dk", "c", 0.0), limiter.reserve("a@mico.dk", "c", 0.0)
    assert first.allowed and second.allowed
    waiting = limiter.reserve("a@mico.dk", "c", 0.0)
    assert not waiting.allowed and waiting.retry_after == 1  # two still being checked, none failed yet
    with pytest.raises(RuntimeError), second:
        raise RuntimeError("the database went away during the check")
    third = limiter.reserve("a@mico.dk", "c", 0.0)
    assert third.allowed  # the crashed attempt gave its place back
    first.failed(1.0)
    third.failed(1.0)
    refused = limiter.reserve("a@mico.dk", "c", 30.0)
    assert not refused.allowed and refused.retry_after == 31  # until the first failure leaves the window
    assert limiter.reserve("a@mico.dk", "other", 30.0).allowed  # another client: its own pair
    assert limiter.reserve("a@mico.dk", "c", 61.5).allowed


@pytest.mark.parametrize(("remote", "key"), [
    ("192.0.2.7", "192.0.2.7"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
    (None, "unknown"),
])
def test_a_client_is_its_address_and_for_ipv6_its_64(remote: str | None, key: str) -> None:
    assert client_key(remote) == key
