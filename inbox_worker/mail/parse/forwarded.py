"""Find a forwarded mail inside a body: its original sender, subject and text.

Mail clients write a forward as a marker line ("---------- Forwarded message ---------",
"Begin forwarded message:", "-------- Videresendt meddelelse --------") or, in Outlook, as a bare
header block ("Fra: … / Sendt: … / Til: … / Emne: …"). A bare header block is also what Outlook
puts above a quoted reply, so it only counts as a forward when the subject says so (Fwd:, VS:, …).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from inbox_worker.domain.types import Forwarded
from inbox_worker.mail.parse.addresses import addresses

# No two runs of blanks may meet (\s*x?\s*) and line-anchored ones stay within the line ([ \t]*): either
# backtracks quadratically per line on a long blank one (a body of 6,000 blanks took minutes).
_MARKER = re.compile(
    r"^[ \t]*(?:(?:-{2,}|_{2,})[ \t]*)?(?:forwarded message|original message|videresendt (?:meddelelse|besked|mail)"
    r"|oprindelig (?:meddelelse|besked|mail)|weitergeleitete nachricht)[ \t]*(?:(?:-{2,}|_{2,})[ \t]*)?\r?$"
    r"|^[ \t]*begin forwarded message:?[ \t]*\r?$|^[ \t]*start på videresendt (?:meddelelse|besked):?[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|vs|vb|wg|tr|fw)\s*:", re.IGNORECASE)
_HEADER = re.compile(r"^\s*(?:>\s*)?\*?(from|fra|von|date|dato|sent|sendt|to|til|cc|subject|emne|betreff)\*?"
                     r"\s*:\s*(.*)$", re.IGNORECASE)
_FROM_NAMES = {"from", "fra", "von"}
_SUBJECT_NAMES = {"subject", "emne", "betreff"}
_BARE_HEADER_START = re.compile(r"^[ \t]*\*?(?:from|fra)\*?[ \t]*:[ \t]*\S", re.IGNORECASE | re.MULTILINE)
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.IGNORECASE)


def _header_block(lines: list[str]) -> tuple[dict[str, str], int]:
    """The header lines at the top of `lines` (blank lines before them skipped), and where the body starts."""
    fields: dict[str, str] = {}
    index = 0
    while index < len(lines) and not lines[index].strip(" >\t"):
        index += 1
    while index < len(lines):
        match = _HEADER.match(lines[index])
        if not match:
            break
        fields.setdefault(match.group(1).lower(), match.group(2).strip())
        index += 1
    return fields, index


def _sender(value: str) -> tuple[str, str | None] | None:
    value = _MAILTO.sub(r"<\1>", value)
    for name, address in addresses(value):  # not the stdlib's: it recurses on nested comments
        address = address.strip().lower()
        if "@" in address and "." in address.rpartition("@")[2]:
            return address, (name.strip() or None)
    return None


def _unquote(lines: list[str]) -> str:
    if lines and all(line.startswith(">") or not line.strip() for line in lines):
        lines = [line[1:].lstrip(" ") if line.startswith(">") else line for line in lines]
    return "\n".join(lines)


def find_forwarded(subject: str | None, body: str, new_text_of: Callable[[str], str]) -> Forwarded | None:
    """The first forwarded mail in `body`, or None; `new_text_of` strips its quotes and signature."""
    marker = _MARKER.search(body)
    if marker is not None:
        start = marker.end()
    elif subject and _FORWARD_SUBJECT.match(subject):
        bare = _BARE_HEADER_START.search(body)
        if bare is None:
            return None
        start = bare.start()
    else:
        return None
    lines = body[start:].lstrip("\r\n").splitlines()
    fields, body_start = _header_block(lines)
    sender = None
    for name in _FROM_NAMES:
        if name in fields:
            sender = _sender(fields[name])
            break
    if sender is None:
        return None
    original_subject = next((fields[n] for n in _SUBJECT_NAMES if n in fields), None)
    text = new_text_of(_unquote(lines[body_start:]))
    return Forwarded(sender[0], sender[1], original_subject, text)
