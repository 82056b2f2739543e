"""The doctor's pure parts: how a check reads, the summary and exit code, the clock, the web key, network faults."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from inbox_worker.config import WebSettings
from inbox_worker.features.doctor.check import failed, passed, skipped, summary_line
from inbox_worker.features.doctor.local_checks import clock_check, secret_key_check
from inbox_worker.features.doctor.network import timeout_for, why_unreachable
from inbox_worker.features.doctor.run import report

INSTALLED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_failed_check_reads_as_one_line_with_what_to_do() -> None:
    check = failed("imap.login", "login afvist for support@mico.dk på imap.example.dk:993", "ret mailbox.password")
    assert check.line() == ("✗ IMAP-login: login afvist for support@mico.dk på imap.example.dk:993 "
                            "— ret mailbox.password")
    assert check.as_json() == {"name": "imap.login", "ok": False, "status": "failed",
                               "detail": "login afvist for support@mico.dk på imap.example.dk:993",
                               "advice": "ret mailbox.password"}


def test_a_skipped_check_says_why_on_its_own_line_and_is_not_ok() -> None:
    [check] = skipped(["imap.folder"], "login mislykkedes")
    assert check.line() == "– IMAP-mappe: sprunget over: login mislykkedes"
    assert not check.ok and check.as_json()["status"] == "skipped"


def test_exit_code_is_zero_only_when_every_check_passed() -> None:
    lines: list[str] = []
    assert report([passed("config", "c.toml indlæst"), passed("clock", "ok")], as_json=False, write=lines.append) == 0
    assert lines[-1] == "Alt i orden: 2 tjek bestået."
    mixed = [passed("config", "c.toml indlæst"), failed("imap.login", "afvist", "ret"),
             *skipped(["imap.folder"], "login mislykkedes")]
    assert report(mixed, as_json=True, write=lines.append) == 1
    assert summary_line(mixed).startswith("1 af 3 tjek fejlede, 1 sprunget over")


def test_the_clock_shows_local_time_in_the_company_zone() -> None:
    check = clock_check(datetime(2026, 12, 2, 9, 30, tzinfo=UTC), "Europe/Copenhagen", INSTALLED)
    assert check.line() == "✓ Ur og tidszone: 2026-12-02 10:30 Europe/Copenhagen (CET, UTC+01:00)"
    summer = clock_check(datetime(2027, 7, 1, 9, 30, tzinfo=UTC), "Europe/Copenhagen", INSTALLED)
    assert "11:30 Europe/Copenhagen (CEST, UTC+02:00)" in summer.detail


def test_a_clock_before_the_installation_fails() -> None:
    check = clock_check(datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC), "Europe/Copenhagen", INSTALLED)
    assert not check.ok and "før denne inbox-worker blev installeret (2026-11-20)" in check.detail
    assert "NTP" in check.advice


def test_an_unknown_time_zone_fails() -> None:
    check = clock_check(INSTALLED, "Europe/København", INSTALLED)
    assert not check.ok and "company.timezone" in check.advice


def test_the_web_key_is_never_shown_and_must_not_be_trivially_short() -> None:
    good = secret_key_check(WebSettings(secret_key="x" * 40, secret_key_env="INBOX_WEB_SECRET_KEY"))
    assert good.ok and good.detail == "sat (fra $INBOX_WEB_SECRET_KEY)"
    short = secret_key_check(WebSettings(secret_key="hemmelig"))
    assert not short.ok and "hemmelig" not in short.line() and "kun 8 tegn" in short.detail


def test_network_faults_in_plain_danish() -> None:
    assert why_unreachable(ConnectionRefusedError(111, "Connection refused"), 10) == \
        "forbindelsen blev afvist (intet lytter på porten)"
    assert why_unreachable(TimeoutError("timed out"), 10) == "intet svar inden for 10 s"
    assert why_unreachable(socket.gaierror(-2, "Name or service not known"), 10) == "navnet kan ikke slås op (DNS)"


def test_network_checks_wait_at_most_ten_seconds() -> None:
    assert timeout_for(60.0) == 10.0 and timeout_for(3.0) == 3.0
