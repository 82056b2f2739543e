"""Large mail: every big attachment body, whatever its transfer encoding, is split off and restored byte for byte.

The split path (parse_mail on a mail over LARGE_MAIL_BYTES) must give exactly what parsing the whole
mail with mail-parser gives (`_parse`, the same function without the split), only without its copies.
"""

from __future__ import annotations

import binascii
import hashlib
import random

import pytest

from inbox_worker.mail.parse import parser
from inbox_worker.mail.parse.largemail import LARGE_MAIL_BYTES, split_large_parts

HEAD = (b"From: Lone <lone@bageriet-soerensen.dk>\r\nTo: support@mico.dk\r\nSubject: Logfiler\r\n"
        b"Message-ID: <large@bageriet-soerensen.dk>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\nPreamble\r\n'
        b"--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej\r\n\r\nHer er logfilerne.\r\n\r\nMvh Lone\r\n")


def _text(size: int) -> bytes:
    """Log text with Danish letters and lines that start with "--" (not a boundary), CRLF line ends."""
    lines = [b"--- backup k\xc3\xb8rt %d: l\xc3\xa6st \xc3\xa5bnet, status OK ---\r\n" % i for i in range(size // 40 + 1)]
    return b"".join(lines)[:size]


def _encoded(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        text = binascii.b2a_base64(data, newline=False)
        return b"\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))
    if encoding == "quoted-printable":
        return binascii.b2a_qp(data, istext=True).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data


def _part(boundary: bytes, name: bytes, data: bytes, encoding: str) -> bytes:
    return (b"--" + boundary + b"\r\nContent-Type: application/octet-stream; name=\"" + name + b"\"\r\n"
            b"Content-Disposition: attachment; filename=\"" + name + b"\"\r\n"
            b"Content-Transfer-Encoding: " + encoding.encode() + b"\r\n\r\n" + _encoded(data, encoding) + b"\r\n")


PAYLOADS = {
    "base64": random.Random(1).randbytes(LARGE_MAIL_BYTES),
    "quoted-printable": _text(LARGE_MAIL_BYTES),
    "8bit": _text(LARGE_MAIL_BYTES),
    "binary": random.Random(2).randbytes(LARGE_MAIL_BYTES).replace(b"\r", b"\n"),
}


@pytest.mark.parametrize("encoding", sorted(PAYLOADS))
def test_a_big_attachment_in_any_transfer_encoding_is_split_off_and_restored_exactly(encoding: str) -> None:
    payload = PAYLOADS[encoding]
    # a nested multipart with a small attachment of its own, and the big one after it
    nested = (b'--outer\r\nContent-Type: multipart/mixed; boundary="inner"\r\n\r\n'
              + _part(b"inner", b"lille.txt", b"lille fil\r\n", "7bit") + b"--inner--\r\nepilog\r\n")
    raw = HEAD + nested + _part(b"outer", b"stor.bin", payload, encoding) + b"--outer--\r\n"
    assert len(raw) > LARGE_MAIL_BYTES

    skeleton, bodies = split_large_parts(raw)
    split, whole = parser.parse_mail(raw), parser._parse(raw)

    assert len(skeleton) < 4096 and list(bodies.values()) == [payload]
    assert [(a.filename, a.size, a.sha256) for a in split.attachments] == [
        (a.filename, a.size, a.sha256) for a in whole.attachments]
    assert split.attachments[-1].sha256 == hashlib.sha256(payload).hexdigest()
    assert split.attachments[-1].payload == payload
    assert (split.body_text, split.defects) == (whole.body_text, whole.defects)
    assert "logfilerne" in split.body_text


def test_the_text_of_the_mail_is_never_split_off_however_big() -> None:
    body = _text(LARGE_MAIL_BYTES + 1000)
    raw = (HEAD.split(b"--outer")[0] + b"--outer\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n--outer--\r\n")
    assert split_large_parts(raw)[1] == {}
    assert "backup kørt 7" in parser.parse_mail(raw).body_text
