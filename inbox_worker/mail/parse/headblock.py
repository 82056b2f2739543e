"""Find a mail's header block the way tolerant mail clients do, and hand the MIME parser a repaired copy.

Real mail starts with blank lines or an mbox "From " line, uses bare CR or mixes LF and CRLF, forgets
the blank line before the body, or breaks a header over a line without indenting it. Each is read
as the mail meant it and noted; only a mail cut off inside its header block is `truncated`, and one
with no header a mail would have is left for the sanity rules (`rules/guard.toml`) to judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Headers only a mail has: at least one of them, or it is not a mail (a bare body, random bytes).
MAIL_HEADERS = frozenset({
    "from", "sender", "return-path", "to", "cc", "subject", "date", "message-id", "received", "mime-version",
    "content-type", "reply-to", "in-reply-to", "references", "delivered-to", "x-mailer", "user-agent",
    "content-transfer-encoding", "resent-from", "x-original-to", "envelope-to", "list-id", "dkim-signature",
    "authentication-results", "thread-topic", "newsgroups", "bcc",
})
_SCAN_LIMIT = 4 * 1024 * 1024  # a header block longer than this is left to the MIME parser as it is
_LINE = re.compile(rb"([^\r\n]*)(\r\n|\r|\n|)")
_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+)([ \t]*):")
_BLANK = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_LEADING = b" \t\r\n\x00"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Head:
    raw: bytes  # the mail as the MIME parser should read it: the header block repaired, the body as it was
    names: tuple[str, ...]  # the header names found, lower case, in order
    notes: tuple[str, ...]  # what was repaired (for the parsed mail's defects)
    truncated: bool  # the mail ends inside a header line: cut off

    @property
    def is_mail(self) -> bool:
        return any(name in MAIL_HEADERS for name in self.names)


def _start(raw: bytes) -> tuple[int, list[str]]:
    """Where the first header line starts: after blank lines, a byte-order mark, an mbox "From " line."""
    notes = []
    start = len(raw) - len(raw.lstrip(_LEADING))
    if raw.startswith(_BOM, start):
        start += len(raw[start + 3:]) - len(raw[start + 3:].lstrip(_LEADING)) + 3
        notes.append("ByteOrderMark")
    if raw.startswith((b"From ", b">From "), start):
        end = _LINE.match(raw, start).end()  # type: ignore[union-attr]  # it matches anywhere
        start = end + len(raw[end:end + 256]) - len(raw[end:end + 256].lstrip(_LEADING))
        notes.append("MboxFromLine")
    return start, notes


def read_head(raw: bytes) -> Head:
    """The header block of `raw` found and repaired (copied only where something was repaired)."""
    start, notes = _start(raw)
    lines = _LINE.finditer(raw, start, min(len(raw), start + _SCAN_LIMIT))
    line = next(lines, None)
    kept: list[bytes] = []
    names: list[str] = []
    body_at, blank, position = None, b"", start
    while line is not None and line.group():
        content, ending = line.group(1), line.group(2)
        following = next(lines, None)
        field = _FIELD.match(content)
        if not content:  # the blank line: the body follows it
            body_at, blank = line.end(), ending
            break
        if content[:1] in (b" ", b"\t") and names:
            pass
        elif field is not None:
            names.append(field.group(1).decode("ascii").lower())
            if field.group(2):  # obsolete syntax: "Subject : ..."
                content = field.group(1) + content[field.end() - 1:]
                notes.append("SpaceBeforeColon")
        elif not ending and (following is None or not following.group()):
            break  # the last bytes of the mail, cut off inside a line
        elif names and following is not None and _FIELD.match(following.group(1)):
            content = b" " + content  # a header broken over a line that forgot its indent
            notes.append("HeaderLineWithoutIndent")
        else:  # the body begins without the blank line before it
            body_at, blank = line.start(), (kept[-1][len(kept[-1].rstrip(b"\r\n")):] if kept else b"") or b"\n"
            if names:
                notes.append("BodyWithoutBlankLine")
            break
        if b"\x00" in content:
            content = content.replace(b"\x00", b"")
            notes.append("NulInHeaderRemoved")
        kept.append(content + ending)
        position, line = line.end(), following
    # Cut off: the mail ends inside its header block, in the middle of a line.
    truncated = (body_at is None and bool(names) and len(raw) <= start + _SCAN_LIMIT
                 and (position < len(raw) or not kept[-1].endswith((b"\n", b"\r"))))
    notes = list(dict.fromkeys(notes))
    if truncated or not set(notes) - {"ByteOrderMark", "MboxFromLine"}:
        return Head(raw[start:] if start else raw, tuple(names), tuple(notes), truncated)
    rest = raw[position:] if body_at is None else blank + raw[body_at:]
    return Head(b"".join(kept) + rest, tuple(names), tuple(notes), False)


def header_end(data: bytes) -> int | None:
    """Where the body starts (after the first blank line, in any line-ending style), or None if there is none yet."""
    blank = _BLANK.search(data)
    return None if blank is None else blank.end()
