"""Large mail: split big base64 bodies off before mail-parser sees the mail, and put them back after.

mail-parser keeps several copies of every attachment (decoded, re-encoded, as text); on a mail with
a 25 MB attachment that alone is ~300 MB. Each big body is instead decoded once, straight from the
raw bytes, and replaced by a short marker that mail-parser decodes as that part's content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import replace

from inbox_worker.domain.types import Attachment

# Above this size a mail's big base64 parts are split off before mail-parser sees it (_split_large_parts).
LARGE_MAIL_BYTES = 2 * 1024 * 1024
# A base64 part body at least this long is split off (smaller ones are cheap enough for mail-parser).
_LARGE_BODY = 64 * 1024
_SEPARATOR = re.compile(rb"\r?\n\r?\n")
# A single-character class: the regex engine keeps no per-repetition state, however long the body.
_BASE64_ONLY = re.compile(rb"[A-Za-z0-9+/=\r\n \t]*")
_BASE64_HEADER = re.compile(rb"content-transfer-encoding:\s*base64", re.IGNORECASE)
_SPLIT_MARKER = b"MICO-SPLIT-PART-"


def _large_base64_bodies(raw: bytes) -> list[tuple[int, int]]:
    """(start, end) of every big base64 part body: after a part header that says base64, up to the boundary."""
    found: list[tuple[int, int]] = []
    position = 0
    for separator in _SEPARATOR.finditer(raw):
        start = separator.end()
        if start < position:
            continue
        head = raw[max(0, separator.start() - 4096):separator.start()]
        head = head[head.rfind(b"\n--") + 1:] if b"\n--" in head else head
        if not _BASE64_HEADER.search(head):
            continue
        end = raw.find(b"\n--", start)
        end = len(raw) if end < 0 else end + 1
        if end - start >= _LARGE_BODY and _BASE64_ONLY.fullmatch(raw, start, end):
            found.append((start, end))
            position = end
    return found


def split_large_parts(raw: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """A large mail as a skeleton whose big base64 bodies are replaced by markers, and those bodies decoded.

    mail-parser keeps several copies of every attachment (decoded, re-encoded, as text): on a mail
    with a 25 MB attachment that alone is ~300 MB. Here each big body is decoded once, straight
    from the raw bytes (binascii skips the line breaks), and mail-parser parses the small rest.
    """
    view = memoryview(raw)
    pieces: list[bytes] = []
    bodies: dict[bytes, bytes] = {}
    position = 0
    for start, end in _large_base64_bodies(raw):
        marker = _SPLIT_MARKER + str(len(bodies)).encode("ascii")
        bodies[marker] = binascii.a2b_base64(view[start:end])
        pieces += [raw[position:start], base64.b64encode(marker) + b"\r\n"]
        position = end
    pieces.append(raw[position:])
    return b"".join(pieces), bodies


def restore_attachment(attachment: Attachment, bodies: dict[bytes, bytes]) -> Attachment:
    data = bodies.get(attachment.payload)
    if data is None:
        return attachment
    return replace(attachment, size=len(data), sha256=hashlib.sha256(data).hexdigest(), payload=data)
