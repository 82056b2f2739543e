"""Header values as text, read the way tolerant mail clients read them.

The raw header bytes are decoded here, not by the MIME library: raw 8-bit bytes with no declared
charset (UTF-8, else the mail's own charset, else windows-1252: see charsets.py), RFC 2047 encoded
words in any charset label mail uses (GB2312 holding GBK bytes, UTF-7, junk in the label), split
across words mid-character, or invalid.
"""

from __future__ import annotations

import binascii
import re
from email.message import Message

from inbox_worker.mail.parse.charsets import decode_text

MAX_VALUE = 64 * 1024  # of one header: more is cut before decoding (bounded work on hostile mail)
_FOLD = re.compile(rb"\r?\n(?=[ \t])|\r(?=[ \t])")
_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=")
_QP = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def raw_values(message: Message, name: str) -> list[bytes]:
    """Every value of header `name` as the bytes on the wire, unfolded (the 8-bit ones included)."""
    found = []
    for key, value in message.raw_items():
        if key.strip().lower() == name:
            data = str(value).encode("utf-8", "surrogateescape")[:MAX_VALUE]
            found.append(_FOLD.sub(b"", data))
    return found


def raw_text(data: bytes, hint: str | None = None) -> str:
    """A header value's bytes as text, raw 8-bit bytes read in their likely charset (encoded words left)."""
    return data.decode("ascii") if data.isascii() else decode_text(data, None, hint)[0]


def header_text(data: bytes, hint: str | None = None) -> str:
    """A header value as text: raw 8-bit bytes read in their likely charset, then encoded words decoded."""
    return decode_words(raw_text(data, hint), hint)


def _q(text: str) -> bytes:
    data = text.replace("_", " ").encode("utf-8", "surrogateescape")
    return _QP.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _b(text: str) -> bytes:
    data = _NOT_BASE64.sub(b"", text.encode("ascii", "ignore"))
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


def _mixed_word(text: str, kind: str, label: str, hint: str | None) -> str:
    """An encoded word with raw 8-bit text in it: its ASCII pieces decoded, the rest kept as read."""
    pieces = re.split(r"([^\x00-\x7f]+)", text)
    return "".join(piece if index % 2 else decode_text(_b(piece) if kind in "bB" else _q(piece), label, hint)[0]
                   for index, piece in enumerate(pieces))


_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/=\s]*")


def _joined(label: str, chunks: list[bytes], hint: str | None) -> str:
    """Adjacent words of one charset decoded together (a character may be split over two); if that fails, one by one."""
    text, fell_back = decode_text(b"".join(chunks), label, hint)
    if fell_back and len(chunks) > 1:
        return "".join(decode_text(chunk, label, hint)[0] for chunk in chunks)
    return text


def decode_words(text: str, hint: str | None = None) -> str:
    """RFC 2047 encoded words decoded: adjacent words of one charset joined before decoding, the space between
    encoded words dropped, an invalid word (not base64, unterminated) kept as it stands."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: tuple[str, list[bytes]] | None = None
    last = 0
    for word in _WORD.finditer(text):
        kind, encoded = word.group(2), word.group(3)
        if kind in "bB" and not _BASE64_TEXT.fullmatch(encoded):
            continue  # not an encoded word after all: it stays in the text around it
        between = text[last:word.start()]
        if pending is None or between.strip(" \t\r\n"):
            if pending is not None:
                out.append(_joined(*pending, hint))
                pending = None
            out.append(between)
        label = word.group(1).split("*", 1)[0].lower()
        last = word.end()
        if not encoded.isascii():  # raw 8-bit inside the word, already read as text: keep it so
            if pending is not None:
                out.append(_joined(*pending, hint))
                pending = None
            out.append(_mixed_word(encoded, kind, label, hint))
            continue
        data = _b(encoded) if kind in "bB" else _q(encoded)
        if pending is not None and pending[0] == label:
            pending[1].append(data)
        else:
            if pending is not None:
                out.append(_joined(*pending, hint))
            pending = (label, [data])
    if pending is not None:
        out.append(_joined(*pending, hint))
    out.append(text[last:])
    return "".join(out)
