"""A stored mail's bytes as the text a reader sees: decoded headers, text parts and attachments (for a search)."""

from __future__ import annotations

import email
import html
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses

# A part that is not text is read as text only this far: a log or a note sent as application/octet-stream is,
# a photo or a PDF of megabytes is not (its name is; its bytes as text name nobody, and reading them is slow).
_BINARY_READ = 256 * 1024


def mail_text(raw: bytes, *, with_bytes: bool = True) -> str:
    """Every header decoded and every part's decoded content (text as text, other parts as UTF-8 where they
    decode), joined: what a mention of a person could be hidden in behind quoted-printable or base64, an
    RFC 2231 file name, or an HTML entity ("S&oslash;rensen", in an alt text as well as in the text)."""
    try:
        message = email.message_from_bytes(raw, policy=default_policy)
    except Exception:
        return raw.decode("utf-8", "replace")
    # `with_bytes`: the bytes as they are too (a caller that searched them already leaves them out)
    texts = [raw.decode("utf-8", "replace")] if with_bytes else []
    for part in message.walk():
        for name, value in part.items():
            texts.append(f"{name}: {_header(value)}")
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        if filename:
            texts.append(filename)
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            continue
        if isinstance(payload, bytes) and (part.get_content_maintype() in ("text", "message")
                                           or len(payload) <= _BINARY_READ):
            charset = part.get_content_charset() or "utf-8"
            try:
                decoded = payload.decode(charset, "replace")
            except LookupError:
                decoded = payload.decode("utf-8", "replace")
            texts.append(decoded)
            if part.get_content_subtype() == "html" or "&" in decoded:
                texts.append(html.unescape(decoded))
    return "\n".join(texts)


def _header(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return ""


def from_display_names(raw: bytes) -> list[str]:
    """The display names of the From header ("Lone Sørensen" of "Lone Sørensen <lone@…>")."""
    try:
        message = email.message_from_bytes(raw[:65536], policy=default_policy)
        assert isinstance(message, EmailMessage)
        values = [str(value) for value in message.get_all("from", [])]
    except Exception:
        return []
    return [name for name, _address in getaddresses(values) if name]
