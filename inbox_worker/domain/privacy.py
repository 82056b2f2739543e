"""A person taken out of kept text: the pseudonym, the markers, and the scrub of addresses, names and phones. Pure.

An erased person (privacy erase) is "Slettet person #N" everywhere, N the id of the erasure record, so one
pseudonym stands for them on every ticket. What others wrote and staff keep (time-entry notes, coverage
reasons, audit details, a colleague's mail on another ticket) stays, with every address, name and phone
number of the person replaced by the pseudonym, and the lines of the person's own mails quoted in it left out.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MARKER = "[Slettet efter anmodning]"  # what is left of an erased text (subject, mail body, note)
EXPIRED = "[Anonymiseret efter opbevaringsfristen]"  # what is left of a text past [privacy] ticket_text_months
RAW_EXPIRED = "[Slettet efter opbevaringsfristen]"  # what is left of a rendered outgoing mail past raw_mail_months
ANONYMOUS = "Anonymiseret person"  # the requester of a ticket anonymised by retention
QUOTED_LINE_CHARS = 25  # a line of the person's own text this long (and of 4 words) is left out where it is quoted
QUOTED_LINE_WORDS = 4


def person_pseudonym(number: int) -> str:
    return f"Slettet person #{number}"


def customer_pseudonym(number: int) -> str:
    return f"Slettet kunde #{number}"


def shell_address(number: int) -> str:
    """The address of a contact kept only for the packages it holds (the invoice basis): deliverable nowhere
    (.invalid, RFC 2606), and matching no mail anyone can send."""
    return f"slettet-person-{number}@slettet.invalid"


def _normal_line(line: str) -> str:
    """A line as compared for quoting: without the quote marks, blank space collapsed, case folded."""
    return " ".join(line.lstrip(" \t>").split()).casefold()


def written_lines(texts: Iterable[str]) -> frozenset[str]:
    """The lines of what the person wrote that are long enough to be theirs alone (not "Med venlig hilsen")."""
    found = set()
    for text in texts:
        for line in text.splitlines():
            normal = _normal_line(line)
            if len(normal) >= QUOTED_LINE_CHARS and len(normal.split()) >= QUOTED_LINE_WORDS:
                found.add(normal)
    return frozenset(found)


@dataclass(frozen=True)
class Identity:
    """Who is taken out: every address they wrote from, their names, phone numbers, and the pseudonym."""

    pseudonym: str
    addresses: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # full names ("Lone Sørensen"): a lone first name is too common a word
    phones: tuple[str, ...] = ()
    lines: frozenset[str] = field(default_factory=frozenset)  # see written_lines
    # Literal phrases to replace (old, new): e.g. a device named after the person ("Lones bærbare"), which
    # rules quote in coverage reasons elsewhere.
    renames: tuple[tuple[str, str], ...] = ()

    @property
    def given_names(self) -> tuple[str, ...]:
        """First names: scrubbed only in text that is the person's own (their tickets, their devices)."""
        return tuple(dict.fromkeys(words[0] for name in self.names if len(words := name.split()) > 1
                                   and len(words[0]) > 1))


def untagged(address: str) -> str:
    """An address without its subaddress: "lone+faktura@bageriet-soerensen.dk" is "lone@bageriet-soerensen.dk"
    (plus addressing, as Gmail and Microsoft 365 deliver it: the same mailbox, the same person). Lower case."""
    local, at, domain = address.strip().lower().rpartition("@")
    base = local.split("+", 1)[0]
    return f"{base}@{domain}" if at and base else address.strip().lower()


def _address_pattern(address: str) -> str:
    local, _, domain = address.strip().rpartition("@")
    if not local:
        return re.escape(address.strip())
    return (rf"(?<![\w.%+-]){re.escape(local)}(?:\+[\w.-]*)?(?:@|%40){re.escape(domain)}(?![\w-])")


def _name_pattern(name: str) -> str:
    return r"(?<!\w)" + r"[\s\u00a0]+".join(re.escape(word) for word in name.split()) + r"(?!\w)"


def phone_digits(phone: str) -> str:
    """The national number's digits: "+45 21 43 65 87" and "0045 21436587" are "21436587"."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0045", "45"):
        if phone.strip().startswith(("+", "00")) and digits.startswith(prefix) and len(digits) - len(prefix) >= 8:
            return digits[len(prefix):]
    return digits


# How people group a (Danish, eight-digit) number: "21 43 65 87", "2143 6587", "214 36 587", ...
_GROUPINGS = ((2, 2, 2, 2), (4, 4), (3, 2, 3), (2, 3, 3), (3, 3, 2), (2, 2, 4), (4, 2, 2), (3, 5), (5, 3))
_SEPARATORS = (" ", "-", ".", "\u00a0", "/")


def phone_forms(digits: str) -> list[str]:
    """`digits` as it is commonly written: whole, and in each usual grouping with each usual separator (the
    cheap filter in SQL must find every form the scrub's pattern does)."""
    forms = [digits]
    for grouping in _GROUPINGS:
        if sum(grouping) != len(digits):
            continue
        parts, start = [], 0
        for size in grouping:
            parts.append(digits[start:start + size])
            start += size
        forms += [separator.join(parts) for separator in _SEPARATORS]
    if len(digits) % 2 == 0:  # any other length: in pairs
        forms += [separator.join(digits[i:i + 2] for i in range(0, len(digits), 2)) for separator in _SEPARATORS]
    return list(dict.fromkeys(forms))


def _phone_pattern(phone: str) -> str | None:
    digits = phone_digits(phone)
    if len(digits) < 6:  # too short to be anyone's number alone
        return None
    return r"(?<!\d)(?:(?:\+|00)\s?45[\s./-]*)?" + r"[\s./-]?".join(digits) + r"(?!\d)"


class Scrubber:
    """An Identity compiled once: scrub and find it in text and in JSON values."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        patterns = [_address_pattern(a) for a in identity.addresses if a.strip()]
        patterns += [_name_pattern(n) for n in identity.names if n.strip()]
        patterns += [p for p in map(_phone_pattern, identity.phones) if p]
        self._strict = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None
        given = [re.escape(name) for name in identity.given_names]
        self._given = re.compile(rf"(?<!\w)({'|'.join(given)})('s|’s|s)?(?!\w)", re.IGNORECASE) if given else None
        self._renames = [(re.compile(re.escape(old), re.IGNORECASE), new) for old, new in identity.renames if old]

    def mentions(self, text: str | None, *, loose: bool = False) -> bool:
        """Does `text` name the person (address, name, phone; `loose`: first name too) or quote a line of theirs?"""
        if not text:
            return False
        if self._strict is not None and self._strict.search(text):
            return True
        if loose and self._given is not None and self._given.search(text):
            return True
        return any(pattern.search(text) for pattern, _ in self._renames) or self._quotes(text)

    def _quotes(self, text: str) -> bool:
        lines = self.identity.lines
        return bool(lines) and any(_normal_line(line) in lines for line in text.splitlines())

    def scrub(self, text: str, *, loose: bool = False) -> str:
        """`text` with the person replaced by the pseudonym; `loose`: their first name too (own text only)."""
        if not text:
            return text
        pseudonym = self.identity.pseudonym
        if self.identity.lines:  # first: a quoted line is compared as the person wrote it
            text = self._drop_quoted(text)
        for pattern, new in self._renames:
            text = pattern.sub(new.replace("\\", "\\\\"), text)
        if self._strict is not None:
            text = self._strict.sub(lambda _m: pseudonym, text)
        if loose and self._given is not None:
            text = self._given.sub(lambda m: pseudonym + ("s" if m.group(2) else ""), text)
        return text

    def _drop_quoted(self, text: str) -> str:
        out: list[str] = []
        for line in text.splitlines(keepends=True):
            if _normal_line(line) not in self.identity.lines:
                out.append(line)
                continue
            quoted = line.lstrip().startswith(">")
            marker = ("> " if quoted else "") + MARKER
            if not out or out[-1].rstrip("\r\n") != marker:
                out.append(marker + ("\n" if line.endswith("\n") else ""))
        return "".join(out)

    def scrub_value(self, value: Any, *, loose: bool = False) -> Any:
        """A JSON value with every string in it scrubbed (keys are ours, English, and stay)."""
        if isinstance(value, str):
            return self.scrub(value, loose=loose)
        if isinstance(value, list):
            return [self.scrub_value(item, loose=loose) for item in value]
        if isinstance(value, dict):
            return {key: self.scrub_value(item, loose=loose) for key, item in value.items()}
        return value

    def needles(self) -> list[str]:
        """Substrings a row must hold to possibly name the person: a cheap filter in SQL before `scrub`.

        Each in the forms a database may hold it: as written, upper and lower case (SQLite folds only
        ASCII), and as JSON writes a non-ASCII letter (\\u00f8).
        """
        found: list[str] = []
        for address in self.identity.addresses:
            local, _, domain = address.strip().lower().rpartition("@")
            found += [f"{local}@{domain}", f"{local}%40{domain}", f"{local}+"] if local else [address.lower()]
        for name in self.identity.names:
            found += [name, name.lower(), name.upper(), name.title()]
            # The surname alone: the name split over two lines ("Lone\n> Sørensen") or in an odd case
            # ("lone Sørensen", which SQLite's ILIKE does not fold); the scrub itself decides.
            surname = name.split()[-1]
            found += [surname, surname.lower(), surname.upper()] if len(surname) >= 4 else []
        for phone in self.identity.phones:
            digits = phone_digits(phone)
            if len(digits) >= 6:
                found += [phone.strip(), *phone_forms(digits)]
        found += [old for old, _ in self.identity.renames if old]
        escaped = [_json_escaped(n) for n in found]
        return sorted({n for n in found + escaped if n.strip()})


def _json_escaped(text: str) -> str:
    """`text` as json.dumps writes it inside a string (ensure_ascii): ø as \\u00f8."""
    return "".join(ch if ord(ch) < 128 else f"\\u{ord(ch):04x}" for ch in text)


@functools.lru_cache(maxsize=64)
def scrubber(identity: Identity) -> Scrubber:
    return Scrubber(identity)


_ANY_ADDRESS = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def without_addresses(text: str, replacement: str = ANONYMOUS) -> str:
    """Every mail address in `text` replaced: for text anonymised without knowing whose it is."""
    return _ANY_ADDRESS.sub(replacement, text) if text and "@" in text else text


def display_names(values: Iterable[str]) -> tuple[str, ...]:
    """The full names among From display names ("Lone Sørensen", not "Lone" or "IT"), NFC, without repeats."""
    names: dict[str, None] = {}
    for value in values:
        name = " ".join(unicodedata.normalize("NFC", value).strip(" \"'").split())
        if len(name.split()) >= 2 and "@" not in name:
            names.setdefault(name, None)
    return tuple(names)
