"""Address headers: (name, address) pairs split without recursion, and the sender (From, else Sender, Return-Path).

The stdlib's address parser recurses once per "(" (50,000 of them exhaust the stack), and takes
"alice@example.com <bob@example.com>" for alice. Here comments are taken out in one flat pass, the
list is split on commas outside quotes and angle brackets, and each item read as mail clients do.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import Any

from inbox_worker.domain.vocabulary import MAX_ADDRESS
from inbox_worker.mail.parse.headers import MAX_VALUE, decode_words, raw_text, raw_values

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _without_comments(text: str) -> tuple[str, str]:
    """The text with (comments) taken out, in one flat pass, and the first comment's text.

    Quoted strings are kept whole; an unclosed comment runs to the end. Outside quotes no "(" or ")"
    is left, so the stdlib address parser never recurses.
    """
    out: list[str] = []
    comment: list[str] = []
    first = ""
    depth, quoted, escaped = 0, False, False
    for char in text:
        if escaped:
            (comment if depth else out).append(char)
            escaped = False
        elif char == "\\" and (quoted or depth):
            escaped = True
            (comment if depth else out).append(char)
        elif quoted:
            out.append(char)
            quoted = char != '"'
        elif char == "(":
            depth += 1
            if depth > 1:
                comment.append(char)
        elif char == ")":
            if depth == 1:
                first = first or "".join(comment).strip()
                comment = []
                out.append(" ")
            elif depth > 1:
                comment.append(char)
            depth = max(0, depth - 1)
        elif depth:
            comment.append(char)
        else:
            out.append(char)
            quoted = char == '"'
    return "".join(out), first


def _items(flat: str) -> list[str]:
    """The comma- (or semicolon-) separated items of an address list, outside quotes and angle brackets."""
    items: list[str] = []
    current: list[str] = []
    quoted = angled = False
    for char in flat:
        if char == '"' and not angled:
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        elif char in ",;" and not (quoted or angled):
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _mailbox(item: str) -> tuple[str, str]:
    """(display name, address) of one item: "Name <addr>", a bare addr, or a group's first "Group: addr"."""
    open_at = item.rfind("<")
    if open_at >= 0:
        close_at = item.find(">", open_at)
        address = item[open_at + 1: close_at if close_at >= 0 else len(item)]
        name = item[:open_at] + (item[close_at + 1:] if close_at >= 0 else "")
    elif "@" not in item:  # "From: Lone": a name and no address
        name, address = item, ""
    else:
        name, address = "", item
    if ":" in name.split('"')[0] and "@" not in name.split(":", 1)[0]:  # "Group: Name <addr>"
        name = name.split(":", 1)[1]
    if ":" in address and "@" not in address.split(":", 1)[0] and not address.lower().startswith("mailto:"):
        address = address.split(":", 1)[1]  # "Group: addr"
    words = address.split()
    if open_at < 0 and len(words) > 1:  # "Big Bug bb@bug.com": the word with the @ is the address
        address = next((word for word in words if "@" in word), words[-1])
        name = " ".join(word for word in words if word != address)
    address = "".join(address.split()).removeprefix("mailto:").strip("<>")
    name = name.strip().strip('"').replace('\\"', '"').strip()
    return name, address


def addresses(text: str, hint: str | None = None) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header's text; a name may come from an old-style comment.

    Display names are decoded after the split (an encoded name may hold a comma); one that only
    repeats the address is dropped, as mail-parser did.
    """
    flat, comment = _without_comments(text[:MAX_VALUE])
    pairs = []
    for item in _items(flat):
        name, address = _mailbox(item)
        name = " ".join(decode_words(name, hint).split()) or " ".join(decode_words(comment, hint).split())
        pairs.append(("" if name.lower() == address.lower() else name, address))
    return pairs


def _one_line(text: str) -> str | None:
    return " ".join(_CONTROL.sub(" ", text).split()) or None


def valid_addresses(values: list[Any]) -> tuple[str, ...]:
    found = []
    for _name, address in values:
        address = _CONTROL.sub("", address or "").strip().lower()
        if "@" in address and len(address) <= MAX_ADDRESS:
            found.append(address)
    return tuple(found)


def header_pairs(message: Message, name: str, hint: str | None) -> list[tuple[str, str]]:
    values = raw_values(message, name)
    return addresses(raw_text(values[0], hint), hint) if values else []


def sender(message: Message, hint: str | None) -> tuple[str | None, str | None, list[str]]:
    """From's name and address; with no address in From, Sender's or Return-Path's (and a note saying so)."""
    pairs = header_pairs(message, "from", hint)
    name = _one_line(pairs[0][0]) if pairs else None
    found = valid_addresses(pairs)
    if found:
        return name, found[0], []
    for header, note in (("sender", "FromAddressFromSender"), ("return-path", "FromAddressFromReturnPath")):
        fallback = header_pairs(message, header, hint)
        if valid_addresses(fallback):
            return name or _one_line(fallback[0][0]), valid_addresses(fallback)[0], [note]
    return name, None, []
