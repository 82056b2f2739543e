"""How a reply finds its ticket: the number in a subject, `[MICO #1042]`, and the Message-IDs it answers."""

from __future__ import annotations

import re

TICKET_TAG = re.compile(r"\[MICO #(\d{1,12})\]", re.IGNORECASE)


def ticket_tag(subject: str | None) -> int | None:
    match = TICKET_TAG.search(subject or "")
    return int(match.group(1)) if match else None


def reference_candidates(in_reply_to: tuple[str, ...], references: tuple[str, ...]) -> list[str]:
    """The Message-IDs a reply may belong by, nearest first: In-Reply-To, then References newest to oldest."""
    return [*in_reply_to, *reversed(references)][:50]


def ticket_subject(number: int, subject: str | None, language: str) -> str:
    """The subject of our mail about ticket `number`: the tag first, then the customer's subject without tags."""
    base = TICKET_TAG.sub("", subject or "").strip() or ("Din henvendelse" if language == "da" else "Your request")
    return f"[MICO #{number}] {base}"[:900]
