"""`staff add`, `web` (served by waitress) and the demo's staff login, through the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.store.models import Staff
from tests.conftest import ROOT, free_port, write_config


def test_staff_add_reads_the_password_from_the_environment_and_never_prints_it(
        cli: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEW_STAFF_PASSWORD", "en lang hemmelighed")
    result = cli("staff", "add", "Lise@MICO.dk", "--name", "Lise Holm", "--password-env", "NEW_STAFF_PASSWORD")
    assert result.code == 0 and "lise@mico.dk (LH)" in result.out
    assert "en lang hemmelighed" not in result.out + result.err
    with Session(engine) as session:
        member = session.scalar(select(Staff).where(Staff.email == "lise@mico.dk"))
    assert member is not None and member.password_hash.startswith("$argon2id$")
    again = cli("staff", "add", "lise@mico.dk", "--password-env", "NEW_STAFF_PASSWORD")
    assert again.code == 2 and "findes allerede en medarbejder" in again.err


def test_staff_add_refuses_a_short_password_and_a_missing_variable(cli: Any, engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHORT", "kort")
    assert "mindst 10 tegn" in cli("staff", "add", "a@mico.dk", "--password-env", "SHORT").err
    assert "NOPE" in cli("staff", "add", "a@mico.dk", "--password-env", "NOPE").err


def test_demo_ends_with_how_to_open_the_queue_and_prints_the_login_once(cli: Any) -> None:
    first = cli("demo")
    assert first.code == 0 and "inbox-worker web" in first.out
    assert "Demo-login (vises kun denne ene gang): demo@mico.dk / " in first.out
    second = cli("demo")
    assert "vises kun denne ene gang" not in second.out and "findes allerede" in second.out


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> Any:
    for _ in range(100):
        if process.poll() is not None:
            raise AssertionError(f"inbox-worker web exited: {process.stderr.read() if process.stderr else ''!r}")
        try:
            return urllib.request.urlopen(url, timeout=2)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError("the web server did not answer")


def test_web_serves_the_login_page_with_waitress(tmp_path: Path, settings: Settings, engine: Engine) -> None:
    port = free_port()
    config = write_config(tmp_path, settings)
    process = subprocess.Popen([sys.executable, "-m", "inbox_worker", "--config", str(config), "web",
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ})
    try:
        response = _wait_for(f"http://127.0.0.1:{port}/", process)
        assert response.url.endswith("/login?next=/") and response.status == 200
        assert response.headers["Server"] == "inbox-worker"  # waitress, not Flask's development server
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Log ind" in response.read().decode("utf-8")
    finally:
        process.terminate()
        process.wait(timeout=10)
