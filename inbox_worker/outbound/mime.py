"""Assemble a multipart/alternative (text + HTML) message as bytes, quickly and strictly.

Header values are refused if they contain CR, LF or other control characters: with this and the
parser's cleaning of subjects, mail content can never inject a header into outgoing mail.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class HeaderInjection(ValueError):
    """A header value contained a line break or control character."""


def _encoded_words(value: str) -> str:
    """RFC 2047 B-encoded words of at most 45 UTF-8 bytes each (never splitting a character), folded."""
    words, chunk = [], b""
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > 45:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


def encode_header_value(value: str) -> str:
    if _CONTROL.search(value):
        raise HeaderInjection(f"control character in header value {value[:60]!r}")
    if value.isascii() and len(value) < 900:
        return value
    # Only the display name of an address is encoded; the address itself stays plain ASCII.
    name, bracket, address = value.rpartition(" <")
    if bracket and address.endswith(">") and address.isascii() and not name.isascii():
        return f"{_encoded_words(name.strip(chr(34)))} <{address}"
    return _encoded_words(value)


def _qp_part(content_type: str, text: str) -> bytes:
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    return (f"Content-Type: {content_type}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode("ascii") + body + b"\r\n"


def build_alternative(headers: list[tuple[str, str]], text: str, html: str) -> bytes:
    """The complete message: the given headers, MIME-Version, and the text and HTML alternatives."""
    boundary = f"=_mico_{secrets.token_hex(12)}"
    lines = [f"{name}: {encode_header_value(value)}" for name, value in headers]
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"']
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return (head + delimiter + _qp_part("text/plain", text) + delimiter + _qp_part("text/html", html)
            + f"--{boundary}--\r\n".encode("ascii"))
