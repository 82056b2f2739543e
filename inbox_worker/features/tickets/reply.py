"""A staff reply to a ticket's customer, queued in the outbox: `[MICO #N]` subject, threaded on the ticket's mail.

The first reply is the ticket's first response (its response-time clock); the acknowledgement never is.
Under the text goes the staff member's signature (Min profil) or the default greeting (`reply/closing`);
a reply may carry Cc addresses (plain addresses only: nothing that could add a header or a recipient
unseen) and attachments, stored like inbound ones and added as MIME parts each time the outbox sends it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inbox_worker.domain.addresses import is_safe_address
from inbox_worker.domain.response_clock import ClockChange
from inbox_worker.domain.ticket_tag import ticket_subject
from inbox_worker.domain.vocabulary import LANGUAGES
from inbox_worker.features.tickets.clocks import answered
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.outbound.mime import attachment_name
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.apply import PendingRows, queue_mail
from inbox_worker.store.files import AttachmentStore
from inbox_worker.store.models import MessageRef, OutboxAttachment, OutboxMessage, RawMessage, Ticket, TicketEntry

MAX_CC = 5
MAX_FILES = 10
MAX_SIGNATURE = 1000  # characters: a signature, not a letter
_CC_SPLIT = re.compile(r"[,;\s]+")
_LINE_BREAK = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")  # anything but a tab: CR, LF, controls


class ReplyFile(NamedTuple):
    """A file staff attached to a reply, as uploaded."""

    filename: str
    content_type: str
    data: bytes


def _thread_ids(session: Session, ticket: int) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References): the newest customer mail of the ticket, and the ticket's last 20 ids."""
    newest = session.scalar(select(RawMessage.message_id).join(TicketEntry, TicketEntry.raw_message_id == RawMessage.id)
                            .where(TicketEntry.ticket_id == ticket, TicketEntry.kind == "inbound",
                                   RawMessage.message_id.is_not(None))
                            .order_by(TicketEntry.created_at.desc(), TicketEntry.id.desc()).limit(1))
    known = list(session.scalars(select(MessageRef.message_id).where(MessageRef.ticket_id == ticket)))
    references = [ref for ref in known if ref != newest][-19:] + ([newest] if newest else [])
    return newest, references


class QueuedReply(NamedTuple):
    outbox_id: int
    clock: ClockChange | None  # the first response it met, when it is the first reply


def recipient_of(ticket: Ticket) -> str | None:
    address = ticket.contact_email or ticket.from_address
    return address if address and is_safe_address(address) else None


def parse_cc(text: str, recipient: str | None) -> list[str]:
    """The Cc field as plain addresses (comma, semicolon or space between them), the recipient and repeats left out.

    Refused with a Danish sentence: a line break or control character (a header smuggled in), a display name,
    angle brackets, quotes or anything but a plain ASCII address, and more than MAX_CC addresses.
    """
    if _LINE_BREAK.search(text):
        raise ActionError("Cc-feltet må ikke indeholde linjeskift eller styretegn")
    addresses: list[str] = []
    for word in _CC_SPLIT.split(text.strip()):
        if not word:
            continue
        if not word.isascii() or not is_safe_address(word):
            raise ActionError(f"»{word[:80]}« i Cc-feltet er ikke en mailadresse (skriv kun adresser, fx "
                              "anna@firma.dk, adskilt af komma)")
        lowered = word.lower()
        if lowered != (recipient or "").lower() and lowered not in (a.lower() for a in addresses):
            addresses.append(word)
    if len(addresses) > MAX_CC:
        raise ActionError(f"Højst {MAX_CC} adresser i Cc-feltet (der er {len(addresses)})")
    return addresses


def check_files(files: Sequence[ReplyFile], per_file_bytes: int, total_bytes: int) -> None:
    """Refuse, in Danish, an attachment over the per-file cap, the files together over the total, or too many."""
    if len(files) > MAX_FILES:
        raise ActionError(f"Højst {MAX_FILES} vedhæftede filer pr. svar (der er {len(files)})")
    for item in files:
        if len(item.data) > per_file_bytes:
            raise ActionError(f"Filen »{attachment_name(item.filename)}« er {_mb(len(item.data))} – højst "
                              f"{_mb(per_file_bytes)} pr. fil. Svaret er ikke sendt.")
    if sum(len(item.data) for item in files) > total_bytes:
        raise ActionError(f"De vedhæftede filer fylder tilsammen {_mb(sum(len(f.data) for f in files))} – højst "
                          f"{_mb(total_bytes)} pr. svar. Svaret er ikke sendt.")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def clean_signature(text: str) -> str:
    """A signature as stored: plain text, line ends \\n, no other control characters, trailing space trimmed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = "\n".join(re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", line).rstrip() for line in lines).strip("\n")
    if len(cleaned) > MAX_SIGNATURE:
        raise ActionError(f"Underskriften må højst være {MAX_SIGNATURE} tegn (den er {len(cleaned)})")
    return cleaned


def reply_language(ticket: Ticket) -> str:
    return ticket.language if ticket.language in LANGUAGES else "da"


def closing(renderer: Renderer, language: str, staff_name: str, signature: str) -> str:
    """What goes under the reply's text: the signature, or the default greeting with the staff member's name."""
    return renderer.render_text("reply/closing", language, {"signature": signature.strip(),
                                                            "staff_name": staff_name}).strip()


def queue_reply(session: Session, renderer: Renderer, ticket: Ticket, body: str, staff_initials: str,
                staff_name: str, now: datetime, *, signature: str = "", cc: Sequence[str] = (),
                files: Sequence[ReplyFile] = (), store: AttachmentStore | None = None) -> QueuedReply:
    """Render and queue the reply; its thread entry carries the text and the staff member.

    `cc`: checked addresses (parse_cc). `files`: checked (check_files), written to `store` and recorded on the
    outbox row, so every send of it (a retry too) carries them.
    """
    recipient = recipient_of(ticket)
    if recipient is None:
        raise ValueError("the ticket has no address to reply to")
    if files and store is None:
        raise ValueError("attachments need the attachment store")
    in_reply_to, references = _thread_ids(session, ticket.id)
    headers = {"X-MICO-Ticket": str(ticket.id)}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    language = reply_language(ticket)
    name = staff_name or staff_initials
    context = {"now": now, "ticket": ticket.id, "body": body, "staff_name": name,
               "closing": closing(renderer, language, name, signature)}
    outgoing = renderer.compose("reply", recipient, ticket_subject(ticket.id, ticket.subject, language),
                                "reply/reply", language, context, headers, cc=list(cc))
    stored = []
    for item in files:  # on disk before the rows: a row never names a file that is not there
        sha256 = hashlib.sha256(item.data).hexdigest()
        path, problem = store.save(item.data, sha256) if store else (None, "no store")
        if path is None:
            raise ActionError(f"Filen »{attachment_name(item.filename)}« kan ikke gemmes: {problem}")
        stored.append(OutboxAttachment(filename=attachment_name(item.filename), content_type=item.content_type[:200],
                                       size=len(item.data), sha256=sha256, stored_path=path))
    rows = PendingRows()
    outbox_id = queue_mail(session.connection(), outgoing, ticket.id, None, now, rows)
    for entry in rows.entries:  # the thread shows who wrote the reply and what it said
        entry.update(author=staff_initials, body_text=body)
    rows.flush(session.connection())
    if cc:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(cc=list(cc)))
    for record in stored:
        record.outbox_id = outbox_id
        session.add(record)
    return QueuedReply(outbox_id, answered(session, ticket, staff_initials, now))
