"""Staff login: every page but /login needs it; passwords are argon2 hashes; CSRF, rate limit, cookies, headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.store.models import Staff
from inbox_worker.web import create_app
from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, csrf_of, login

PAGES = ["/", "/?status=closed", "/tickets/1", "/tickets/1/mail/1", "/tickets/1/attachments/1",
         "/customers/bageriet", "/phone"]
ACTIONS = ["/tickets/1/reply", "/tickets/1/note", "/tickets/1/set", "/tickets/1/assign", "/tickets/1/merge",
           "/tickets/1/devices", "/tickets/1/link-customer", "/tickets/1/reviewed", "/tickets/1/coverage",
           "/tickets/1/time", "/tickets/1/time/correct", "/phone", "/logout"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_to_the_login_page_without_a_login(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ACTIONS)
def test_no_action_runs_without_a_login_even_with_a_valid_csrf_token(app: Flask, path: str) -> None:
    with app.test_client() as client:
        response = client.post(path, data={"csrf_token": csrf_of(client), "body": "x", "text": "x"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_password_is_stored_as_an_argon2_hash(engine: Engine, staff: dict[str, str]) -> None:
    with Session(engine) as session:
        stored = session.scalar(select(Staff.password_hash).where(Staff.email == "jh@mico.dk"))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_wrong_password_or_unknown_address_is_refused_in_danish(app: Flask, staff: dict[str, str]) -> None:
    with app.test_client() as client:
        for email, password in (("jh@mico.dk", "forkert-forkert"), ("ukendt@mico.dk", PASSWORD)):
            response = login(client, email, password)
            assert response.status_code == 401
            assert "Forkert e-mail eller adgangskode" in response.get_data(as_text=True)
        assert client.get("/").status_code == 302


def test_login_leads_to_the_page_asked_for_but_never_off_site(app: Flask, staff: dict[str, str]) -> None:
    with app.test_client() as client:
        data = {"email": "jh@mico.dk", "password": PASSWORD, "csrf_token": csrf_of(client), "next": "/phone"}
        assert client.post("/login", data=data).headers["Location"] == "/phone"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        with app.test_client() as client:
            data = {"email": "jh@mico.dk", "password": PASSWORD, "csrf_token": csrf_of(client), "next": target}
            assert client.post("/login", data=data).headers["Location"] == "/"


def test_a_login_without_the_csrf_token_is_rejected(app: Flask, staff: dict[str, str]) -> None:
    with app.test_client() as client:
        response = client.post("/login", data={"email": "jh@mico.dk", "password": PASSWORD})
        assert response.status_code == 400
        assert client.get("/").status_code == 302


def test_login_attempts_are_rate_limited_per_address_and_client(app: Flask, staff: dict[str, str]) -> None:
    with app.test_client() as client:
        for _ in range(3):  # login_max_failures = 3 in the test settings
            assert login(client, password="gæt-gæt-gæt").status_code == 401
        blocked = login(client)  # even the right password, now, from this client
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        assert "For mange mislykkede forsøg" in blocked.get_data(as_text=True)
        assert login(client, "kb@mico.dk").status_code == 302  # another address from the same client: its own pair
    with app.test_client() as elsewhere:
        elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.44"
        assert login(elsewhere).status_code == 302  # the guessed-at address, from another client: not locked out


def test_the_session_cookie_is_httponly_and_samesite(app: Flask, staff: dict[str, str]) -> None:
    with app.test_client() as client:
        cookie = login(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_when_served_over_https(tmp_path: Path, engine: Engine,
                                                             staff: dict[str, str], db_url: str) -> None:
    settings = make_settings(tmp_path, db_url, web={"secret_key": "k" * 32, "https": True})
    with create_app(settings, engine).test_client() as client:
        assert "Secure" in login(client).headers["Set-Cookie"]


def test_logout_needs_the_csrf_token_and_ends_the_session(client: FlaskClient) -> None:
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(client)}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("path", ["/login", "/"])
def test_security_headers_on_every_page(client: FlaskClient, path: str) -> None:
    headers = client.get(path, follow_redirects=True).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_the_secret_key_is_never_in_the_settings_repr(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url, web={"secret_key": "meget-hemmelig-nøgle"})
    assert "meget-hemmelig-nøgle" not in repr(settings)
