"""Each text part's charset repaired before mail-parser decodes it, and the nesting of the parts measured.

A junk label (`"cp1252\\0"`) is cleaned, a label Python lacks is mapped (`iso-8859-8-i`), and a label
that is unknown or wrong for the bytes (UTF-8 declared, windows-1252 sent), or missing on 8-bit text,
is replaced by what the bytes are (charsets.py). Without this, mail-parser decodes such text with
replacement characters, or fails on the label.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from email.message import Message
from email.utils import collapse_rfc2231_value

from inbox_worker.mail.parse.charsets import LENIENT_UTF8, codec_for, guess_codec

_SAMPLE = 256 * 1024  # bytes of a text part looked at to tell its charset


def leaves(message: Message) -> Iterator[tuple[Message, int]]:
    """Every part that is not a multipart, with its nesting depth, without recursion (depth first, in order)."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if part.is_multipart():  # get_payload() of a leaf decodes it, with whatever charset it declares
            payload = part.get_payload()
            children = payload if isinstance(payload, list) else []
            stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))
        else:
            yield part, depth


def nesting_depth(message: Message) -> int:
    return max((depth for _, depth in leaves(message)), default=0)


def _label(part: Message) -> str | None:
    value = part.get_param("charset")
    if isinstance(value, tuple):
        value = collapse_rfc2231_value(value)
    return value if isinstance(value, str) else None


def charset_hint(message: Message) -> str | None:
    """The charset the mail declares for its first text (what its raw 8-bit headers most likely are in)."""
    for part, _ in leaves(message):
        codec = codec_for(_label(part))
        if codec is not None and part.get_content_maintype() == "text":
            return codec
    return codec_for(_label(message))


def _decodes(sample: bytes, codec: str) -> bool:
    try:
        codecs.getincrementaldecoder(codec)().decode(sample, final=False)
        return True
    except (UnicodeError, LookupError, ValueError):
        return False


def _set_charset(part: Message, codec: str | None) -> None:
    try:
        if codec is None:
            part.del_param("charset")
            return
        part.set_param("charset", codec)
    except (TypeError, ValueError):  # a Content-Type with raw 8-bit bytes in it: write a plain one instead
        content_type = part.get_content_type()
        del part["content-type"]
        part["Content-Type"] = f'{content_type}; charset="{codec}"' if codec else content_type


def repair_charsets(message: Message, hint: str | None) -> list[str]:
    """Set each text part's charset to the codec its bytes are in; the notes say where the label was not used."""
    notes: list[str] = []
    for part, _ in leaves(message):
        label = _label(part)
        if part.get_content_maintype() != "text":
            if label is not None and codec_for(label) != label:  # the stdlib decodes any part with its charset
                _set_charset(part, codec_for(label))
            continue
        codec = codec_for(label)
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        sample = payload[:_SAMPLE]
        if codec is None or not _decodes(sample, codec):
            if sample.isascii() and codec is None and not label:
                continue
            notes.append("CharsetDecodeDefect" if label and label.strip(" \t\"'\0") else "UndeclaredCharset")
            codec = guess_codec(sample, hint).replace(LENIENT_UTF8, "utf-8")
        if codec != label:
            _set_charset(part, codec)
    return list(dict.fromkeys(notes))
