"""Outgoing mail as the store queues it: rendered, complete RFC 5322 bytes with the fields the outbox keeps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingMail:
    kind: str  # ack, oncall, reply, summary
    recipient: str
    message_id: str
    subject: str
    body: bytes


@dataclass(frozen=True)
class MailOut:
    """What one processed mail sends: rendered from its decision before anything is written."""

    ack: OutgoingMail | None = None
    oncall: OutgoingMail | None = None


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment of a processed mail, written to disk (or skipped, with the reason) before its row."""

    filename: str
    content_type: str
    size: int
    sha256: str
    stored_path: str | None
    skipped_reason: str | None
