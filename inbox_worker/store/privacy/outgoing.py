"""Outgoing mail to or about a person, and what is left of a row once its text is gone.

The rendered message is kept whole in the outbox (an ack quotes the mail it answers, an on-call notice the
contact's name and phone, a summary who wrote), so a row is about the person when it belongs to their
ticket, goes to them (To or Cc), or its decoded text names or quotes them (looked for on the tickets they
appear on, and in summaries and staff alerts, which belong to no ticket).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.domain.privacy import Scrubber
from inbox_worker.store.models import OutboxMessage
from inbox_worker.store.privacy.mailtext import mail_text
from inbox_worker.store.privacy.person import is_theirs

# Not sent, and now never to be: an emptied row must not go out.
UNSENT = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value, OutboxStatus.FAILED.value,
          OutboxStatus.UNCERTAIN.value)
_CHUNK = 200


def emptied_body(marker: str) -> bytes:
    """What an emptied row holds instead of its message: a message of one line, so every reader still parses it."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = marker
    message["X-MICO-Emptied"] = "yes"
    message.set_content(marker)
    return message.as_bytes()


def outbox_about(session: Session, scrubber: Scrubber, tickets: set[int], touched: set[int]) -> list[int]:
    addresses = scrubber.identity.addresses
    found = set(session.scalars(select(OutboxMessage.id).where(or_(
        OutboxMessage.ticket_id.in_(tickets), is_theirs(OutboxMessage.recipient, addresses)))))
    to_read = select(OutboxMessage.id).where(or_(
        OutboxMessage.ticket_id.in_(touched), OutboxMessage.ticket_id.is_(None),
        *(func.lower(cast(OutboxMessage.cc, Text)).contains(a, autoescape=True) for a in addresses)))
    candidates = sorted(set(session.scalars(to_read)) - found)
    for start in range(0, len(candidates), _CHUNK):
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.subject, OutboxMessage.body, OutboxMessage.cc)
                               .where(OutboxMessage.id.in_(candidates[start:start + _CHUNK])))
        for outbox_id, subject, body, cc in rows:
            if scrubber.mentions(subject) or scrubber.mentions(" ".join(map(str, cc or []))) \
                    or scrubber.mentions(mail_text(bytes(body))):
                found.add(outbox_id)
    return sorted(found)
