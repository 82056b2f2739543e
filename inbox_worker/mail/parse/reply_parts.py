"""A stored mail body split for reading: the new text, the signature, the quoted history (folded on the page).

The new text is the parser's own (`new_text_of`, what the decisions read); the rest of the body is the
signature up to where the quoted history starts (a "> " line, an attribution "… skrev:"/"… wrote:", an
Outlook header block "From:/Fra:", "-----Original Message-----"). Nothing is ever dropped: when the new
text is not one piece at the top of the body (an answer written between quoted lines), the whole body
is the new text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inbox_worker.mail.parse.parser import new_text_of

_QUOTE_START = re.compile(
    r"^[ \t]*>"
    r"|^.*\b(?:skrev|wrote|schrieb|a écrit|escribió|schreef)\b.*:[ \t]*$"
    r"|^[ \t]*\*?(?:from|fra|von|de)\*?[ \t]*:.*$"
    r"|^[ \t]*-{3,}[ \t]*(?:original(?:e)? (?:message|meddelelse|nachricht)|oprindelig meddelelse|forwarded message"
    r"|videresendt meddelelse).*$"
    r"|^[ \t]*_{10,}[ \t]*$"
    r"|^[ \t]*<[^<>\s]+@[^<>\s]+>[ \t]*:[ \t]*$",  # the second half of a wrapped attribution
    re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class ReplyParts:
    new: str  # what the sender wrote now (shown)
    signature: str  # sign-off and signature block (folded)
    quoted: str  # the earlier mails quoted below (folded)

    @property
    def folded(self) -> bool:
        return bool(self.signature or self.quoted)


def _quote_start(rest: str) -> int:
    """Where the quoted history starts in what follows the new text (len(rest): none)."""
    match = _QUOTE_START.search(rest)
    if match is None:
        return len(rest)
    start = match.start()
    # "Den 20. nov. 2026 kl. 10.12 skrev Lone Sørensen" wrapped before "<lone@…>:": the line above belongs to it.
    if match.group(0).lstrip().startswith("<") and start > 0:
        above = rest.rfind("\n", 0, start - 1)
        return above + 1
    return start


def split_reply(body: str) -> ReplyParts:
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        return ReplyParts("", "", "")
    new = new_text_of(text)
    at = text.find(new) if new else 0
    if new and (at < 0 or text[:at].strip()):
        return ReplyParts(text.strip(), "", "")  # not one piece at the top: show it all
    rest = text[at + len(new):] if new else text
    tail = _quote_start(new) if new else 0
    if 0 < tail < len(new) and new[tail:].count("\n") <= 1:  # an attribution the parser left (wrapped over two lines)
        new, rest = new[:tail], new[tail:] + rest
    if not new and not _QUOTE_START.search(rest):
        return ReplyParts(text.strip(), "", "")  # nothing the parser kept, nothing quoted: show what is there
    start = _quote_start(rest)
    return ReplyParts(new.strip(), rest[:start].strip(), rest[start:].strip())
