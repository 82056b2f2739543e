"""Why a server could not be reached, in one Danish phrase, and the short timeout the network checks use."""

from __future__ import annotations

import socket
import ssl

# A closed port fails at once; a host that swallows packets fails after this, not after the worker's minute.
NETWORK_TIMEOUT_SECONDS = 10.0


def timeout_for(configured: float) -> float:
    return min(configured, NETWORK_TIMEOUT_SECONDS) if configured > 0 else NETWORK_TIMEOUT_SECONDS


def why_unreachable(exc: BaseException, timeout: float) -> str:
    """'forbindelsen blev afvist …', 'intet svar inden for 10 s', 'navnet kan ikke slås op', a TLS failure …"""
    if isinstance(exc, socket.gaierror):
        return "navnet kan ikke slås op (DNS)"
    if isinstance(exc, ConnectionRefusedError):
        return "forbindelsen blev afvist (intet lytter på porten)"
    if any(isinstance(cause, TimeoutError) for cause in _chain(exc)):  # smtplib re-raises it as "disconnected"
        return f"intet svar inden for {timeout:g} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"serverens certifikat kunne ikke verificeres ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS mislykkedes ({exc.reason or exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "ingen besked"


def server_said(exc: BaseException) -> str:
    """The server's own words from an error (e.g. b'[AUTHENTICATIONFAILED] …'), as plain text."""
    text = _first_line(exc)
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        text = text[2:-1]
    return text
