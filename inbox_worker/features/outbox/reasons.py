"""Why an outbox row waits, in Danish: the last SMTP or network error stored on it, told in words staff know.

The stored error stays as the sender wrote it ("ConnectionRefusedError: [Errno 111] Connection refused",
"recipient refused: 550 5.1.1 ..."): it is what a technician searches for, so the Danish phrase comes
first and the original, shortened, follows in parentheses.
"""

from __future__ import annotations

import re

from inbox_worker.store.outbox import INTERRUPTED

ORIGINAL_CHARS = 120
# (a pattern of the stored error, the Danish phrase; {host} is the configured SMTP server), first match wins:
# an uncertain send first, whatever broke it.
PHRASES: tuple[tuple[str, str], ...] = (
    (r"^no reply after the whole message was sent|^unreadable reply after the message",
     "intet svar, efter hele mailen var sendt: {host} kan have den"),
    (r"^gaierror:|Name or service not known|name resolution|nodename nor servname|No address associated",
     "navnet {host} kunne ikke slås op"),
    (r"^ConnectionRefusedError:|Connection refused", "forbindelse afvist af {host}"),
    (r"^(TimeoutError|timeout):|timed out", "{host} svarede ikke i tide"),
    (r"Network is unreachable", "netværket kan ikke nås"),
    (r"No route to host|Host is unreachable", "der er ingen vej til {host}"),
    (r"^SMTPAuthenticationError:", "{host} afviste login (brugernavn eller adgangskode i [smtp])"),
    (r"STARTTLS extension not supported", "{host} tilbyder ikke STARTTLS"),
    (r"CERTIFICATE_VERIFY_FAILED|^SSLCertVerificationError:", "certifikatet fra {host} kunne ikke godkendes"),
    (r"^SSL\w*Error:|\[SSL", "TLS-forbindelsen til {host} mislykkedes"),
    (r"^(SMTPServerDisconnected|ConnectionResetError|BrokenPipeError):", "{host} lukkede forbindelsen"),
    (r"^address is not plain ASCII", "adressen er ikke ren ASCII, og {host} kan ikke tage imod den (SMTPUTF8)"),
    (r"^recipient refused: 5", "{host} afviste modtageren for godt"),
    (r"^sender refused: 5", "{host} afviste afsenderadressen for godt"),
    (r"^(message|DATA) refused: 5", "{host} afviste mailen for godt"),
    (r"^SMTPResponseException: \(4\d\d, '?recipient refused", "{host} afviste modtageren for nu (prøves igen)"),
    (r"^SMTPResponseException: \(4\d\d", "{host} bad om at vente (midlertidig fejl, prøves igen)"),
)


def _short(error: str) -> str:
    text = " ".join(error.split())
    return text if len(text) <= ORIGINAL_CHARS else text[: ORIGINAL_CHARS - 1] + "…"


def why(error: str | None, host: str = "") -> str:
    """The Danish reason for a stored error, with the original in parentheses; "" when there is none."""
    if not error:
        return ""
    if error == INTERRUPTED:
        return "afbrudt under afsendelsen: serveren kan have den; sendes ikke igen af sig selv"
    for pattern, phrase in PHRASES:
        if re.search(pattern, error):
            return f"{phrase.format(host=host or 'serveren')} ({_short(error)})"
    return f"fejl ved afsendelsen ({_short(error)})"
