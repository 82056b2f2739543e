"""Assemble a multipart/alternative (text + HTML) message as bytes with the standard library's `email`,
and wrap one in multipart/mixed with its attachments when it is sent.

`EmailMessage` with `policy.SMTP` builds the message: CRLF line ends, headers folded at 78 columns,
display names quoted or RFC 2047-encoded as they need (a comma or quote in a name stays inside it),
quoted-printable bodies, a boundary that is checked against the bodies. Two things it leaves to us:

- every header value, an address's display name included, is refused if it holds CR, LF or another
  control character (Python 3.11 before 3.11.10 does not refuse them on every path, CVE-2024-6923):
  with this and the parser's cleaning of subjects, mail content can never inject a header;
- an unstructured header with non-ASCII text (a Danish subject) is folded by `email.header`, the
  standard library's other RFC 2047 encoder: the policy's own folder glues words together or drops a
  space where one encoded word follows another at a fold (CPython gh-144156, not fixed in 3.11), which
  `tests/unit/test_mime.py` shows on a tenth of realistic long Danish subjects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address, UnstructuredHeader
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import EmailPolicy
from typing import Any, NamedTuple

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")

HeaderValue = str | Address | tuple[Address, ...]  # a tuple: several addresses in one header (Cc)


class HeaderInjection(ValueError):
    """A header value contained a line break or control character."""


class OutgoingPolicy(EmailPolicy):
    """`policy.SMTP` at 78 columns, with non-ASCII unstructured headers folded by `email.header` (gh-144156)."""

    def _encoded(self, name: str, value: Any) -> str | None:
        if not isinstance(value, UnstructuredHeader):
            return None
        text = str(value)
        folded = Header(text, "us-ascii" if text.isascii() else "utf-8", maxlinelen=self.max_line_length,
                        header_name=name)
        return f"{name}: {folded.encode(linesep=self.linesep)}{self.linesep}"

    def fold(self, name: str, value: Any) -> str:
        return self._encoded(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        encoded = self._encoded(name, value)
        return encoded.encode("ascii") if encoded else super().fold_binary(name, value)


POLICY = OutgoingPolicy(linesep="\r\n", max_line_length=78)


def _refuse_control_characters(name: str, value: HeaderValue) -> None:
    addresses = value if isinstance(value, tuple) else (value,) if isinstance(value, Address) else ()
    parts = [text for a in addresses for text in (a.display_name, a.addr_spec)] or [str(value)]
    for part in (name, *parts):
        if _CONTROL.search(part):
            raise HeaderInjection(f"control character in header {name}: {part[:60]!r}")


_MESSAGE_ID = re.compile(r"<[^\s<>\x00-\x1f\x7f\x85\u2028\u2029]+>")
THREAD_HEADERS = ("in-reply-to", "references")


def thread_ids(value: str) -> str:
    """The well-formed Message-IDs of an In-Reply-To or References value taken from a mail, space-separated:
    a hostile mail's id with a control character in it is left out, not allowed to fail our reply."""
    return " ".join(_MESSAGE_ID.findall(value))


def mailbox(addr_spec: str, display_name: str | None = None) -> HeaderValue:
    """An address header's value: the address with its display name (cleaned to one line), or the bare
    address where `email` cannot represent it as one (a non-ASCII or obsolete local part, which an SMTP
    server without SMTPUTF8 refuses anyway: the outbox then says so, rather than the mail failing here)."""
    name = " ".join(_CONTROL.sub(" ", display_name or "").split())[:200]
    try:
        return Address(display_name=name, addr_spec=addr_spec)
    except (ValueError, HeaderParseError):
        return addr_spec


def build_alternative(headers: Sequence[tuple[str, HeaderValue]], text: str, html: str) -> bytes:
    """The complete message: the given headers, MIME-Version, and the text and HTML alternatives.

    An address header takes an `Address` (`mailbox()`: its display name is never parsed as address
    syntax); any other header a string, stored as given and encoded by the policy. In-Reply-To and
    References keep only their well-formed Message-IDs (`thread_ids`), and are left out without one.
    """
    message = EmailMessage(policy=POLICY)
    for name, value in headers:
        if name.lower() in THREAD_HEADERS and isinstance(value, str):
            value = thread_ids(value)
            if not value:
                continue
        _refuse_control_characters(name, value)
        message[name] = value
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    for part in message.iter_parts():  # add_alternative repeats MIME-Version in the parts: once is enough
        del part["MIME-Version"]
    return message.as_bytes()


class Attachment(NamedTuple):
    filename: str
    content_type: str  # "type/subtype"; anything else is sent as application/octet-stream
    data: bytes


_CONTENT_TYPE = re.compile(r"^([a-z0-9][a-z0-9!#$&^_.+-]{0,63})/([a-z0-9][a-z0-9!#$&^_.+-]{0,126})$")


def attachment_name(filename: str) -> str:
    """A file name fit for Content-Disposition: one line, no folders, at most 150 characters (non-ASCII kept:
    `email` encodes it by RFC 2231)."""
    name = _CONTROL.sub("", filename).replace("\\", "/").rpartition("/")[2].strip(" .")
    return name[:150] or "vedhaeftning"


def with_attachments(message: bytes, attachments: Sequence[Attachment]) -> bytes:
    """`message` (as build_alternative made it) as multipart/mixed: its text and HTML first, then each file
    base64-encoded. Headers are kept as they were (the Message-ID the ticket's thread knows included)."""
    if not attachments:
        return message
    mixed = BytesParser(policy=POLICY).parsebytes(message)
    assert isinstance(mixed, EmailMessage)
    mixed.make_mixed()
    for item in attachments:
        match = _CONTENT_TYPE.match(item.content_type.strip().lower())
        maintype, subtype = match.groups() if match else ("application", "octet-stream")
        if maintype in ("multipart", "message"):  # a file, never a structure the reader's client would unfold
            maintype, subtype = "application", "octet-stream"
        mixed.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=attachment_name(item.filename))
    for part in mixed.iter_parts():
        del part["MIME-Version"]
    return mixed.as_bytes()
