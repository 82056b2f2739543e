"""The SMTP checks: the server answers, STARTTLS as configured, the login works — and nothing is sent.

Through the outbox's own adapter (outbound/smtp.py), with a short timeout; no MAIL FROM is ever given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from inbox_worker.config import SmtpSettings
from inbox_worker.features.doctor.check import Check, failed, passed, skipped
from inbox_worker.features.doctor.network import timeout_for, why_unreachable
from inbox_worker.outbound import smtp


def smtp_checks(configured: SmtpSettings) -> Iterator[Check]:
    s = dataclasses.replace(configured, timeout_seconds=timeout_for(configured.timeout_seconds))
    if not s.host:
        yield failed("smtp.connect", "smtp.host er ikke sat", "angiv SMTP-serveren i [smtp] (host, port, starttls)")
        yield from skipped(["smtp.starttls", "smtp.login"], "ingen SMTP-server angivet")
        return
    where = f"{s.host}:{s.port}"
    try:
        client = smtp.open_connection(s)
    except smtp.TRANSIENT_ERRORS as exc:
        yield failed("smtp.connect", f"{where}: {why_unreachable(exc, s.timeout_seconds)}",
                     "kontrollér smtp.host, smtp.port og smtp.ssl, og at serveren kan nås herfra "
                     "(udgående port kan være spærret)")
        yield from skipped(["smtp.starttls", "smtp.login"], "ingen forbindelse til SMTP-serveren")
        return
    try:
        yield passed("smtp.connect", f"{where} svarer" + (" (TLS fra start, smtp.ssl)" if s.ssl else ""))
        secured = _starttls(client, s)
        yield secured
        if not secured.ok:
            yield from skipped(["smtp.login"], "STARTTLS mislykkedes (adgangskoden sendes ikke ukrypteret)")
            return
        yield _login(client, s, where)
    finally:
        smtp.close(client)


def _starttls(client: smtp.Client, s: SmtpSettings) -> Check:
    try:
        done = smtp.secure(client, s)
    except smtp.NotOffered:
        return failed("smtp.starttls", "serveren tilbyder ikke STARTTLS",
                      "brug den port, hvor serveren har STARTTLS (typisk 587), eller smtp.ssl = true (port 465)")
    except smtp.TRANSIENT_ERRORS as exc:
        return failed("smtp.starttls", f"STARTTLS mislykkedes: {why_unreachable(exc, s.timeout_seconds)}",
                      "kontrollér serverens certifikat og smtp.port")
    if done:
        return passed("smtp.starttls", "STARTTLS")
    return passed("smtp.starttls", "TLS fra start (smtp.ssl)" if s.ssl else "ukrypteret (smtp.starttls = false)")


def _login(client: smtp.Client, s: SmtpSettings, where: str) -> Check:
    try:
        done = smtp.log_in(client, s)
    except smtp.LoginRefused as exc:
        said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return failed("smtp.login", f"login afvist for {s.username} på {where} ({exc.smtp_code} {said})",
                      f"ret adgangskoden i ${s.password_env}" if s.password_env
                      else "ret smtp.password (eller brug password_env) og smtp.username")
    except smtp.NotOffered:
        return failed("smtp.login", "serveren tilbyder ikke login (AUTH)" + ("" if s.starttls or s.ssl else
                      " på en ukrypteret forbindelse"),
                      "slå kryptering til (smtp.starttls = true), eller fjern smtp.username, hvis serveren "
                      "sender uden login")
    except smtp.TRANSIENT_ERRORS as exc:
        return failed("smtp.login", f"login mislykkedes: {why_unreachable(exc, s.timeout_seconds)}",
                      "kontrollér smtp.username og serverens login-metoder")
    if done:
        return passed("smtp.login", f"{s.username} logget ind (intet sendt)")
    return passed("smtp.login", "intet smtp.username: sender uden login")
