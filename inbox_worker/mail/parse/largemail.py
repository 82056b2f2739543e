"""Large mail: split big attachment bodies off before mail-parser sees the mail, and put them back after.

mail-parser keeps several copies of every attachment (decoded, re-encoded as base64, as text): on
a 60 MB mail that is 300-650 MB. Each big attachment body is instead decoded once, straight from
the raw bytes (base64 and quoted-printable decoded, 7bit, 8bit and binary taken as they are), and
replaced by a short marker that mail-parser decodes as that part's content. The parts are found by
their MIME boundaries, so a line starting with "--" inside a body does not end it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, replace

from inbox_worker.domain.types import Attachment

# Above this size a mail's big attachment bodies are split off before mail-parser sees it.
LARGE_MAIL_BYTES = 2 * 1024 * 1024
# An attachment body at least this long is split off (smaller ones are cheap enough for mail-parser).
_LARGE_BODY = 64 * 1024
_MAX_HEAD = 64 * 1024  # a part's header block longer than this is not split
_BLANK = re.compile(rb"\r?\n\r?\n")
# A single-character class: the regex engine keeps no per-repetition state, however long the body.
_BASE64_ONLY = re.compile(rb"[A-Za-z0-9+/=\r\n \t]*")
_ENCODING = re.compile(rb"^content-transfer-encoding:[ \t]*\"?([a-z0-9-]+)", re.IGNORECASE | re.MULTILINE)
_TYPE = re.compile(rb"^content-type:[ \t]*\"?([a-z0-9!#$&^_.+-]+)/([a-z0-9!#$&^_.+-]+)", re.IGNORECASE | re.MULTILINE)
_BOUNDARY = re.compile(rb'boundary\*?[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)
_ATTACHED = re.compile(rb"^content-disposition:[ \t]*attachment|[ \t;]file(?:name)?\*?[ \t]*=|[ \t;]name\*?[ \t]*=",
                       re.IGNORECASE | re.MULTILINE)
_ENCODINGS = ("base64", "quoted-printable", "7bit", "8bit", "binary")
_SPLIT_MARKER = b"MICO-SPLIT-PART-"


@dataclass(frozen=True)
class _Body:
    start: int
    end: int  # where the line break before the next delimiter begins
    encoding: str


def _delimiter(raw: bytes, start: int, boundaries: list[bytes]) -> tuple[int, int, bytes | None]:
    """The next delimiter line of a known boundary after `start`: (body end, line start, its boundary)."""
    best, found = len(raw), None
    for boundary in boundaries:
        at = raw.find(b"\n--" + boundary, start - 1 if start else 0)
        while 0 <= at < best:
            follows = raw[at + 3 + len(boundary):at + 4 + len(boundary)]
            if follows in (b"\r", b"\n", b"-", b" ", b"\t", b""):
                best, found = at, boundary
                break
            at = raw.find(b"\n--" + boundary, at + 1)
    if found is None:
        return len(raw), len(raw), None
    end = best - 1 if best > start and raw[best - 1:best] == b"\r" else best
    return max(start, end), best + 1, found


def _splittable(head: bytes, encoding: str) -> bool:
    """An attachment (not the text of the mail, not a nested mail or multipart) in an encoding decoded here."""
    kind = _TYPE.search(head)
    major, minor = (kind.group(1).lower(), kind.group(2).lower()) if kind else (b"text", b"plain")
    if encoding not in _ENCODINGS or major in (b"multipart", b"message"):
        return False
    return bool(_ATTACHED.search(head)) or not (major == b"text" and minor in (b"plain", b"html"))


def _large_bodies(raw: bytes) -> list[_Body]:
    """Every big attachment body, walking the parts by their boundaries (nested multiparts included)."""
    found: list[_Body] = []
    boundaries: list[bytes] = []
    position = 0  # where the next part's header block starts
    while position < len(raw):
        blank = _BLANK.search(raw, position, position + _MAX_HEAD)
        if blank is None:
            break
        head, start = raw[position:blank.start()], blank.end()
        kind, boundary = _TYPE.search(head), _BOUNDARY.search(head)
        if kind is not None and kind.group(1).lower() == b"multipart" and boundary is not None:
            boundaries.append(boundary.group(1) or boundary.group(2))
            end, line, which = _delimiter(raw, start, boundaries[-1:])  # the preamble, up to the first part
        else:
            end, line, which = _delimiter(raw, start, boundaries)
            encoding = _ENCODING.search(head)
            name = encoding.group(1).decode("ascii").lower() if encoding else "7bit"
            if end - start >= _LARGE_BODY and _splittable(head, name) and (
                    name != "base64" or _BASE64_ONLY.fullmatch(raw, start, end)):
                found.append(_Body(start, end, name))
        while which is not None and raw.startswith(b"--" + which + b"--", line):  # a multipart ends
            boundaries = boundaries[:boundaries.index(which)]
            end, line, which = _delimiter(raw, line, boundaries)  # its epilogue, up to the outer delimiter
        if which is None:
            break
        next_line = raw.find(b"\n", line)
        position = len(raw) if next_line < 0 else next_line + 1
    return found


def _decoded(view: memoryview, body: _Body) -> bytes:
    part = view[body.start:body.end]
    if body.encoding == "base64":
        return binascii.a2b_base64(part)  # skips the line breaks
    if body.encoding == "quoted-printable":
        return binascii.a2b_qp(part)
    return bytes(part)


def split_large_parts(raw: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """A large mail as a skeleton whose big attachment bodies are replaced by markers, and those bodies decoded."""
    view = memoryview(raw)
    pieces: list[bytes] = []
    bodies: dict[bytes, bytes] = {}
    position = 0
    for body in _large_bodies(raw):
        marker = _SPLIT_MARKER + str(len(bodies)).encode("ascii")
        bodies[marker] = _decoded(view, body)
        # mail-parser decodes the marker to itself: as base64 from base64, as plain ASCII from the rest.
        pieces += [raw[position:body.start], base64.b64encode(marker) if body.encoding == "base64" else marker]
        position = body.end
    pieces.append(raw[position:])
    return b"".join(pieces), bodies


def restore_attachment(attachment: Attachment, bodies: dict[bytes, bytes]) -> Attachment:
    data = bodies.get(attachment.payload)
    if data is None:
        return attachment
    return replace(attachment, size=len(data), sha256=hashlib.sha256(data).hexdigest(), payload=data)
