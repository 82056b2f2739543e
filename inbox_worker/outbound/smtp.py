"""The SMTP adapter: connect as configured, hand one message over step by step, and say how far it got.

A message is only the server's once it has the whole of it, ending with the final "." (RFC 5321
§4.1.1.4), and has answered 250 (§6.1). Up to that "." nothing can have been delivered, so a failure
is safe to retry. After it, a dropped connection or a missing reply leaves it unknown whether the
server took the message (RFC 1047): that is `Uncertain`, never to be retried blindly.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from collections.abc import Sequence

from inbox_worker.config import SmtpSettings
from inbox_worker.domain.health import FailureKind

# Failures before the message was handed over (connection, login, MAIL, RCPT, DATA, writing the message).
TRANSIENT_ERRORS = (TimeoutError, smtplib.SMTPException, OSError)
# RFC 5321 §4.5.3.2.6: a client should wait 10 minutes for the reply to the final ".".
DATA_TERMINATION_SECONDS = 600.0
Client = smtplib.SMTP  # an open connection (this module is the only one that knows smtplib)
NotOffered = smtplib.SMTPNotSupportedError  # the server does not have STARTTLS, or AUTH
LoginRefused = smtplib.SMTPAuthenticationError


class PermanentRefusal(Exception):
    """The server refused this message for good (5xx): retrying cannot help."""


class Uncertain(Exception):
    """The whole message was sent, but no reply to its final "." came: the server may have taken it."""


def failure_kind(exc: BaseException) -> FailureKind:
    """What a failed send says about the server (for /healthz and the staff alerts)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return FailureKind.LOGIN_REFUSED
    if isinstance(exc, Uncertain):
        return FailureKind.UNCERTAIN
    if isinstance(exc, smtplib.SMTPResponseException):  # a 4xx to one of our commands
        return FailureKind.REFUSED
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | TimeoutError) or (
            isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)):
        return FailureKind.UNREACHABLE
    return FailureKind.ERROR


def open_connection(smtp: SmtpSettings) -> smtplib.SMTP:
    """Connected and greeted (EHLO), over TLS from the start with `ssl`; nothing secured or sent yet."""
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=tls_context(smtp))
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    try:
        client.ehlo_or_helo_if_needed()
    except Exception:
        abort(client)
        raise
    return client


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """Ready to send: connected, STARTTLS when configured, logged in when a username is set."""
    client = open_connection(smtp)
    try:
        secure(client, smtp)
        log_in(client, smtp)
    except Exception:
        abort(client)
        raise
    return client


def secure(client: smtplib.SMTP, smtp: SmtpSettings) -> bool:
    """STARTTLS when configured (NotOffered when the server has none); whether it was done."""
    if smtp.ssl or not smtp.starttls:
        return False
    client.starttls(context=tls_context(smtp))
    return True


def tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    """The server's certificate and name are checked against the system's CAs, and `ca_file` for a private CA.
    (smtplib's own default checks nothing: a man in the middle would get the password and every mail.)"""
    return ssl.create_default_context(cafile=smtp.ca_file or None)


def log_in(client: smtplib.SMTP, smtp: SmtpSettings) -> bool:
    """AUTH when a username is set (LoginRefused, or NotOffered without AUTH); whether it was done."""
    if not smtp.username:
        return False
    client.login(smtp.username, smtp.password)
    return True


def send(client: smtplib.SMTP, sender: str, recipient: str | Sequence[str], body: bytes, *,
         reply_timeout: float = DATA_TERMINATION_SECONDS) -> None:
    """Hand one message over: MAIL, RCPT (each recipient: a reply's Cc too), DATA, the message, then wait up
    to `reply_timeout` for its reply.

    PermanentRefusal for a 5xx at any step; a 4xx or a broken connection before the final "." is
    raised as the smtplib/OS error (nothing was delivered: retry); Uncertain after it.
    """
    try:
        _envelope(client, sender, recipient, len(body))
    except UnicodeEncodeError as exc:  # smtplib sends commands as ASCII; this server has no SMTPUTF8 for us
        _reset(client)
        raise PermanentRefusal(f"address is not plain ASCII: {exc}") from exc
    client.send(_dot_stuffed(body))  # raises SMTPServerDisconnected if the connection broke while writing
    code, reply = _final_reply(client, reply_timeout)
    if 200 <= code < 300:
        return
    if 400 <= code < 600:
        _refused(client, "message", code, reply)
    raise Uncertain(f"unreadable reply after the message was sent: {code} {reply!r}")


def _envelope(client: smtplib.SMTP, sender: str, recipient: str | Sequence[str], size: int) -> None:
    """MAIL FROM, RCPT TO and DATA, up to the server's 354 "go ahead"."""
    client.ehlo_or_helo_if_needed()
    options = [f"size={size}"] if client.does_esmtp and client.has_extn("size") else []
    code, reply = client.mail(sender, options)
    if code != 250:
        _refused(client, "sender", code, reply)
    for address in [recipient] if isinstance(recipient, str) else recipient:
        code, reply = client.rcpt(address)
        if code not in (250, 251):
            _refused(client, "recipient" if address == recipient else f"recipient {address}", code, reply)
    code, reply = client.docmd("DATA")
    if code != 354:
        _refused(client, "DATA", code, reply)


def _dot_stuffed(body: bytes) -> bytes:
    """The message as sent after DATA: leading dots doubled, ending in CRLF "." CRLF (as smtplib does)."""
    data = re.sub(rb"(?m)^\.", b"..", body)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _final_reply(client: smtplib.SMTP, timeout: float) -> tuple[int, bytes]:
    """The reply to the final "."; Uncertain when the connection drops or the wait runs out first."""
    try:
        if client.sock is not None:
            client.sock.settimeout(max(timeout, client.timeout or 0))
        code, reply = client.getreply()
        if client.sock is not None:
            client.sock.settimeout(client.timeout)
    except (smtplib.SMTPException, OSError) as exc:
        raise Uncertain(f"no reply after the whole message was sent: {type(exc).__name__}: {exc}") from exc
    return code, reply


def _refused(client: smtplib.SMTP, step: str, code: int, reply: bytes) -> None:
    """A refusal: PermanentRefusal for a 5xx, else a temporary SMTP error; the connection is left reusable."""
    if code == 421:
        abort(client)
    else:
        _reset(client)
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 500 <= code < 600:
        raise PermanentRefusal(f"{step} refused: {code} {text}")
    raise smtplib.SMTPResponseException(code, f"{step} refused: {text}")


def _reset(client: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        client.rset()


def abort(client: smtplib.SMTP | None) -> None:
    """Drop a connection that may be broken, without a QUIT that could hang on it."""
    if client is not None:
        with contextlib.suppress(OSError):
            client.close()


def close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
