"""Which stored mails an export holds: every mail sent from the scope's addresses (aliases and quarantined mail
included), found by the sender its decisions recorded, else by the From header of its stored bytes.

A decision records the parsed From address; a mail that could not be parsed has none, so its stored bytes'
From header is read instead (only for those). A copy of such a mail stored with bytes of its own (a second
delivery that differed in the servers' headers) is one of the person's mails too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import Outcome, RawState
from inbox_worker.domain.privacy import untagged
from inbox_worker.store.models import DecisionLog, RawBlob, RawMessage

CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's limits on bound parameters
_HEADER_BYTES = 64 * 1024
_SENDER = func.lower(DecisionLog.decision["from"].as_string())
_CONTACT = func.lower(DecisionLog.decision["contact"].as_string())
_CUSTOMER = DecisionLog.decision["customer"].as_string()


@dataclass(frozen=True)
class StoredMail:
    id: int
    ticket: int | None  # its ticket (a copy: the ticket of the mail it repeats)
    state: str
    outcome: str | None
    sha256: str
    size: int
    message_id: str | None
    received_at: datetime
    arrived_at: datetime | None
    sender: str | None
    duplicate_of: int | None
    has_bytes: bool  # False: its bytes are gone (erased or past retention), or a copy with the same bytes

    @property
    def quarantined(self) -> bool:
        return self.state == RawState.PROCESSED and self.outcome == Outcome.QUARANTINED

    @property
    def file(self) -> str:
        """Its name in the zip: by ticket, quarantine, or neither (automatic mail without a ticket, a copy)."""
        if self.quarantined:
            return f"mails/quarantine-{self.id}.eml"
        return f"mails/ticket-{self.ticket}-{self.id}.eml" if self.ticket else f"mails/mail-{self.id}.eml"


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def header_sender(head: bytes | None) -> str | None:
    """The first address of a stored mail's From header, lower case (None when there is none to read)."""
    if not head:
        return None
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get("from")
        pairs = getaddresses([str(value)]) if value is not None else []
    except Exception:  # hostile bytes: a header we cannot read names nobody
        return None
    found = [address.strip().lower() for _name, address in pairs if "@" in address]
    return found[0] if found else None


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _address_match(column: Any, addresses: frozenset[str], domains: frozenset[str]) -> ColumnElement[bool]:
    """The address, or any +tag of it (lone+faktura@ is lone@'s mailbox), or anyone at one of the domains."""
    conditions: list[ColumnElement[bool]] = [column.in_(sorted(addresses))] if addresses else []
    for address in sorted(addresses):
        local, _, domain = address.rpartition("@")
        if local and "+" not in local:
            conditions.append(column.like(f"{_like_literal(local)}+%@{_like_literal(domain)}", escape="\\"))
    conditions += [column.endswith(f"@{domain}", autoescape=True) for domain in sorted(domains)]
    return or_(*conditions) if conditions else false()


def _heads(session: Session, ids: list[int]) -> Iterator[tuple[int, bytes]]:
    head = func.substr(RawBlob.raw, 1, _HEADER_BYTES)
    for chunk in chunks(ids):
        yield from session.execute(select(RawBlob.raw_message_id, head).where(RawBlob.raw_message_id.in_(chunk)))


def _by_header(session: Session, addresses: frozenset[str], domains: frozenset[str]) -> set[int]:
    """Mails no decision names a sender for (unparseable, or not processed yet), by their stored From header."""
    named = select(DecisionLog.id).where(DecisionLog.raw_message_id == RawMessage.id, _SENDER.is_not(None)).exists()
    unnamed = list(session.scalars(select(RawMessage.id).where(RawMessage.state != RawState.DUPLICATE.value, ~named)))
    found = set()
    for raw_id, head in _heads(session, unnamed):
        sender = header_sender(head)
        if sender and (untagged(sender) in addresses or sender in addresses
                       or any(sender.endswith(f"@{d}") for d in domains)):
            found.add(raw_id)
    return found


def sent_by(session: Session, addresses: frozenset[str], domains: frozenset[str] = frozenset(), *,
            contacts: frozenset[str] = frozenset(), customer_key: str | None = None,
            tickets: Iterable[int] = ()) -> set[int]:
    """The ids of the stored mails from these addresses or domains; also those linked to these contacts (a mail
    a MICO colleague forwarded), decided for this customer, or on these tickets; and their stored copies."""
    wanted = [_address_match(_SENDER, addresses, domains)]
    if contacts:
        wanted.append(_CONTACT.in_(sorted(contacts)))
    if customer_key:
        wanted.append(_CUSTOMER.in_([customer_key]))
    found = set(session.scalars(select(DecisionLog.raw_message_id).where(or_(*wanted))))
    found |= _by_header(session, addresses, domains)
    for chunk in chunks(tickets):
        found |= set(session.scalars(select(RawMessage.id).where(RawMessage.ticket_id.in_(chunk))))
    for chunk in chunks(set(found)):
        found |= set(session.scalars(select(RawMessage.id).where(RawMessage.duplicate_of_id.in_(chunk))))
    return found


def _senders(session: Session, ids: list[int]) -> dict[int, str]:
    senders: dict[int, str] = {}
    for chunk in chunks(ids):
        for raw_id, sender in session.execute(select(DecisionLog.raw_message_id, _SENDER).where(
                DecisionLog.raw_message_id.in_(chunk), _SENDER.is_not(None)).order_by(DecisionLog.id)):
            senders[raw_id] = sender  # the latest decision's
    for raw_id, head in _heads(session, [i for i in ids if i not in senders]):
        if (sender := header_sender(head)) is not None:
            senders[raw_id] = sender
    return senders


def stored_mails(session: Session, ids: Iterable[int]) -> list[StoredMail]:
    """The mails with these ids, oldest first, with their sender and whether their bytes are stored."""
    rows: dict[int, RawMessage] = {}
    with_bytes: set[int] = set()
    for chunk in chunks(ids):
        rows.update((r.id, r) for r in session.scalars(select(RawMessage).where(RawMessage.id.in_(chunk))))
        with_bytes |= set(session.scalars(select(RawBlob.raw_message_id).where(RawBlob.raw_message_id.in_(chunk))))
    senders = _senders(session, sorted(rows))
    result = []
    for raw_id in sorted(rows):
        raw = rows[raw_id]
        original = rows.get(raw.duplicate_of_id) if raw.duplicate_of_id else None
        ticket = raw.ticket_id or (original.ticket_id if original is not None else None)
        sender = senders.get(raw_id) or (senders.get(original.id) if original is not None else None)
        result.append(StoredMail(raw_id, ticket, raw.state, raw.outcome, raw.sha256, raw.size, raw.message_id,
                                 raw.received_at, raw.arrived_at, sender, raw.duplicate_of_id, raw_id in with_bytes))
    return result


def raw_bytes(session: Session, raw_id: int) -> bytes | None:
    """One mail's original bytes, read on their own (a large mail is not held with the others)."""
    return session.scalar(select(RawBlob.raw).where(RawBlob.raw_message_id == raw_id))
