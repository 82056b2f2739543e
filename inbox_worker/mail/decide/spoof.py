"""Is the From address forged? Read the receiving server's Authentication-Results (RFC 8601). Pure.

Only one header is believed: the one our trusted server added (by its authserv-id) or, when none is
configured, the topmost, which the last server on the path (ours) added. Anyone can write such a
header into a mail, so the others are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)\b([^;]*)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.d|header\.i|header\.from|smtp\.mailfrom)\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class AuthVerdict:
    suspect: bool
    rule: str
    reason: str


def _authserv_id(value: str) -> str:
    return _COMMENT.sub("", value).split(";", 1)[0].strip().split()[0].lower() if value.strip() else ""


def _aligned(domain: str, from_domain: str) -> bool:
    domain = domain.lstrip("@").rpartition("@")[2].lower()
    return bool(domain) and (from_domain == domain or from_domain.endswith("." + domain))


def chosen_header(values: tuple[str, ...], trusted_server: str) -> str | None:
    if not values:
        return None
    if not trusted_server:
        return values[0]
    return next((v for v in values if _authserv_id(v) == trusted_server.lower()), None)


def auth_verdict(values: tuple[str, ...], trusted_server: str, from_address: str | None) -> AuthVerdict | None:
    """A verdict when the believed header says something about this sender; None when there is nothing to go on."""
    header = chosen_header(values, trusted_server)
    if header is None or not from_address:
        return None
    from_domain = from_address.rpartition("@")[2].lower()
    results: dict[str, list[tuple[str, str]]] = {}
    for method, result, rest in _RESULT.findall(_COMMENT.sub("", header)):
        domain = next((v for k, v in _PROPERTY.findall(rest) if k.lower() in ("header.d", "header.i")), "")
        results.setdefault(method.lower(), []).append((result.lower(), domain))
    server = _authserv_id(header) or "modtagerserveren"
    if any(result == "fail" for result, _ in results.get("dmarc", [])):
        return AuthVerdict(True, "spoof-dmarc-fail",
                           f"{server} melder dmarc=fail for {from_domain}: afsenderen kan være forfalsket")
    spf_failed = any(result == "fail" for result, _ in results.get("spf", []))  # softfail is too common to act on
    dkim_ok = any(result == "pass" and _aligned(domain, from_domain) for result, domain in results.get("dkim", []))
    if spf_failed and not dkim_ok:
        return AuthVerdict(True, "spoof-spf-fail",
                           f"{server} melder spf=fail og ingen gyldig DKIM-signatur for {from_domain}")
    if spf_failed:
        return AuthVerdict(False, "auth-dkim-pass",
                           f"spf=fail, men en gyldig DKIM-signatur for {from_domain}: afsenderen er ægte")
    return AuthVerdict(False, "auth-ok", f"{server} fandt intet tegn på forfalskning")
