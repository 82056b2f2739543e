"""Raw mail bytes -> `ParsedMail` (mail-parser for MIME, mail-parser-reply for the new text).

Parsing decides nothing: it decodes. Structural damage (truncation, garbage, missing headers) is
reported in `defects`, for the sanity stage to judge.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import replace
from datetime import datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import mailparser
from mailparser_reply import EmailReplyParser

from inbox_worker.domain.types import Attachment, ParsedMail
from inbox_worker.domain.vocabulary import MAX_ADDRESS, MAX_MESSAGE_ID, MAX_SUBJECT
from inbox_worker.mail.parse.forwarded import find_forwarded
from inbox_worker.mail.parse.htmltext import html_to_text
from inbox_worker.mail.parse.largemail import LARGE_MAIL_BYTES, restore_attachment, split_large_parts

# Headers the decisions read; everything else stays in the stored raw mail.
KEPT_HEADERS = (
    "auto-submitted", "x-autoreply", "x-autorespond", "x-auto-response-suppress", "precedence",
    "list-id", "list-unsubscribe", "return-path", "authentication-results", "x-mico-ticket",
    "x-mico-kind", "x-failed-recipients", "content-type",
)
# Defects of the stdlib email package that, on the message itself (not a nested part, where a sloppy
# mailer is the usual cause), mean the mail was cut off or is not MIME.
_STRUCTURAL_DEFECTS = {
    "CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect", "MissingHeaderBodySeparatorDefect",
    "NoBoundaryInMultipartDefect", "MultipartInvariantViolationDefect",
}
_MSGID = re.compile(r"<[^<>\s]+>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# A signature starts at the conventional delimiter or a Danish/English sign-off on a line of its own.
_SIGNATURE = re.compile(
    r"^(?:-- ?|__+|(?:med )?(?:venlig(?:st)?|mange|kærlig) hilsen\b.*|mvh\.?.*|vh\.?|hilsen\b.*"
    r"|(?:best|kind|warm)(?:est)? regards\b.*|regards,?|cheers,?|sent from my .*|sendt fra min .*"
    r"|thanks(?: and regards)?,?|tak,?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# The attribution line above a quote: "Den 20. nov. 2026 kl. 10.12 skrev Lone <…>:", "On … wrote:".
_ATTRIBUTION = re.compile(r"(skrev|wrote|schrieb|a écrit|escribió|scrisse|schreef|написал|napisał)\s*:\s*$",
                          re.IGNORECASE)
_REPLY_PARSER = EmailReplyParser(languages=["da", "en"])


class ParseError(Exception):
    """The bytes could not be parsed as a mail at all."""


def _text(value: Any) -> str | None:
    """A header value as text, whatever the library handed over (str, Header object, or a list of them)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return None if value is None else str(value)


def _clean_header_text(value: Any) -> str | None:
    """Decoded header text on one line: CR, LF and other control characters become spaces."""
    text = _text(value)
    if text is None:
        return None
    text = _CONTROL.sub(" ", text).strip()
    return text or None


def _addresses(values: list[Any]) -> tuple[str, ...]:
    found = []
    for _name, address in values:
        address = _CONTROL.sub("", address or "").strip().lower()
        if "@" in address and len(address) <= MAX_ADDRESS:
            found.append(address)
    return tuple(found)


def _message_ids(value: Any) -> tuple[str, ...]:
    return tuple(found for found in _MSGID.findall(_text(value) or "") if len(found) <= MAX_MESSAGE_ID)


def _date(value: Any) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else None


def _without_quotes(lines: list[str]) -> list[str]:
    """Drop "> " quoted lines and the attribution line (possibly wrapped over two) just above a quote."""
    kept: list[str] = []
    for line in lines:
        if line.lstrip().startswith(">"):
            while kept and not kept[-1].strip():
                kept.pop()
            if kept and _ATTRIBUTION.search(kept[-1]):
                kept.pop()
                wrapped = kept and kept[-1].strip() and not kept[-1].rstrip().endswith((".", "!", "?"))
                if wrapped and len(kept[-1]) < 120:
                    kept.pop()  # the first half of a wrapped attribution line
            continue
        kept.append(line)
    return kept


# Without one of these there is no quoted history for the reply parser to find (most new mail):
# a quote mark, an attribution ("skrev:", "wrote:"), or an Outlook/forward header block.
_QUOTE_HINT = re.compile(r"^\s*>|(?:skrev|wrote|schrieb|écrit|escribió|scrisse|schreef|написал|napisał)\s*:\s*$"
                         r"|^\s*\*?(?:from|fra|von|de|sendt|sent)\*?\s*:|^\s*-{2,}|^\s*_{5,}",
                         re.IGNORECASE | re.MULTILINE)


def new_text_of(body: str) -> str:
    """The text the sender wrote now: no quoted earlier mails, no signature."""
    if not body.strip():
        return ""
    reply: str | None = body
    if _QUOTE_HINT.search(body):
        try:
            reply = _REPLY_PARSER.parse_reply(body)
        except Exception:  # a regex library on hostile text: fall back to the whole body
            reply = None
    text = reply if reply is not None else body
    text = "\n".join(_without_quotes(text.splitlines()))
    match = _SIGNATURE.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    return text.strip()


def _attachments(parser: mailparser.MailParser) -> tuple[Attachment, ...]:
    found = []
    for item in parser.attachments:
        payload_text = item.get("payload") or ""
        if item.get("binary"):
            try:
                payload = base64.b64decode(payload_text)
            except (binascii.Error, ValueError):
                payload = payload_text.encode("ascii", "replace")
        else:
            payload = payload_text.encode("utf-8", "replace")
        name = _clean_header_text(item.get("filename")) or "attachment"
        found.append(
            Attachment(
                filename=name[:255],
                content_type=(item.get("mail_content_type") or "application/octet-stream").lower(),
                size=len(payload),
                sha256=hashlib.sha256(payload).hexdigest(),
                payload=payload,
            )
        )
    return tuple(found)


def _structural_defects(raw: bytes, parser: mailparser.MailParser) -> list[str]:
    defects: set[str] = set()
    raw = raw.lstrip(b" \t\r\n")
    head, separator, _ = raw.partition(b"\n\n")
    if not separator:
        head, separator, _ = raw.partition(b"\r\n\r\n")
    if not separator:
        defects.add("NoHeaderBodySeparator")
    if b"\x00" in head:
        defects.add("NulInHeaders")
    message = parser.message
    if message is None or len(message.keys()) == 0:
        defects.add("NoHeaders")
    else:
        defects.update(n for n in (type(d).__name__ for d in message.defects) if n in _STRUCTURAL_DEFECTS)
    return sorted(defects)


def _body_text(parser: mailparser.MailParser) -> str:
    plain = "\n".join(part for part in parser.text_plain if part.strip())
    if plain.strip():
        return plain
    html = "\n".join(parser.text_html)
    return html_to_text(html) if html.strip() else ""


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse raw bytes; raises ParseError only when there is nothing parseable at all."""
    if not raw.strip():
        raise ParseError("the mail is empty")
    if len(raw) > LARGE_MAIL_BYTES:
        skeleton, bodies = split_large_parts(raw)
        if bodies:
            mail = _parse(skeleton)
            # Each marker, decoded by mail-parser as the part's content, stands for the body split off.
            attachments = tuple(restore_attachment(a, bodies) for a in mail.attachments)
            return replace(mail, attachments=attachments, sha256=hashlib.sha256(raw).hexdigest(), size=len(raw))
    return _parse(raw)


def _parse(raw: bytes) -> ParsedMail:
    # Leading blank lines are a transport or export artefact; the stored raw mail keeps them.
    body_start = raw.lstrip(b" \t\r\n") if raw[:1] in (b" ", b"\t", b"\r", b"\n") else raw
    try:
        parser = mailparser.MailParser.from_bytes(body_start)
    except Exception as exc:  # mail-parser raises its own and stdlib errors on hostile input
        raise ParseError(f"mail-parser failed: {type(exc).__name__}: {exc}") from exc
    message = parser.message
    headers: dict[str, tuple[str, ...]] = {}
    for name in KEPT_HEADERS:
        values = message.get_all(name) if message is not None else None
        if values:
            headers[name] = tuple(str(v) for v in values)
    from_pairs = parser.from_
    if not from_pairs and message is not None:  # mail-parser found none: the stdlib may still read one
        from_pairs = getaddresses([str(v) for v in message.get_all("from", [])])
    from_name = _clean_header_text(from_pairs[0][0]) if from_pairs else None
    from_addresses = _addresses(from_pairs)
    body = _body_text(parser)
    defects = _structural_defects(body_start, parser)
    defects += sorted(parser.defects_categories - set(defects)) if parser.has_defects else []
    subject = (_clean_header_text(parser.subject) or "")[:MAX_SUBJECT] or None
    return ParsedMail(
        message_id=(_message_ids(message.get("message-id") if message is not None else None) or (None,))[0],
        subject=subject,
        from_address=from_addresses[0] if from_addresses else None,
        from_name=from_name,
        to=_addresses(parser.to),
        cc=_addresses(parser.cc),
        reply_to=_addresses(parser.reply_to),
        date=_date(message.get("date") if message is not None else None),
        in_reply_to=_message_ids(message.get("in-reply-to") if message is not None else None),
        references=_message_ids(message.get("references") if message is not None else None),
        headers=headers,
        content_type=message.get_content_type() if message is not None else "text/plain",
        body_text=body,
        new_text=new_text_of(body),
        attachments=_attachments(parser),
        defects=tuple(defects),
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        forwarded=find_forwarded(subject, body, new_text_of),
    )
