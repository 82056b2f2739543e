"""The SMTP adapter: connect as configured, hand over one message, and say whether a refusal is permanent."""

from __future__ import annotations

import contextlib
import smtplib

from inbox_worker.config import SmtpSettings

TRANSIENT_ERRORS = (TimeoutError, smtplib.SMTPException, OSError)
Client = smtplib.SMTP  # an open connection (this module is the only one that knows smtplib)


class PermanentRefusal(Exception):
    """The server refused this message for good (5xx): retrying cannot help."""


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        if smtp.starttls:
            client.starttls()
    if smtp.username:
        client.login(smtp.username, smtp.password)
    return client


def send(client: smtplib.SMTP, sender: str, recipient: str, body: bytes) -> None:
    """Hand one message over; PermanentRefusal for a 5xx, else the transient error as raised."""
    try:
        refused = client.sendmail(sender, [recipient], body)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentRefusal(f"recipient refused: {exc.recipients}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentRefusal(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
    if refused:
        raise PermanentRefusal(f"recipient refused: {refused}")


def close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
