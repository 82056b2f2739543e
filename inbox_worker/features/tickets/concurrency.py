"""Two people, one ticket: an action taken on a page that is out of date is refused, and the change shown.

Every ticket form carries the ticket's version as its page showed it, and when the page was loaded. The
action runs only if the version is still the stored one; otherwise staff get a Danish message naming
what changed meanwhile (who did what, new mails) and nothing is written. A race between the check and
the write is caught by the ORM (the version is in the UPDATE's WHERE clause): StaleDataError, same answer.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.labels import label
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.store.models import AuditEntry, Ticket, TicketEntry

MAX_CHANGES_SHOWN = 5


class StaleTicket(ActionError):
    """The page the action came from showed an older version of the ticket."""


def parse_moment(text: str | None) -> datetime | None:
    """The page's load moment from its form (ISO 8601 with offset); None when missing or malformed."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def changes_since(session: Session, ticket: int, moment: datetime | None, zone: ZoneInfo) -> list[str]:
    """What happened on the ticket after `moment`, newest last, in Danish ("08:01 KB: Status ændret")."""
    audits = select(AuditEntry).where(AuditEntry.ticket_id == ticket)
    entries = select(TicketEntry).where(TicketEntry.ticket_id == ticket, TicketEntry.kind == "inbound")
    if moment is not None:
        audits, entries = audits.where(AuditEntry.created_at > moment), entries.where(TicketEntry.created_at > moment)
    found: list[tuple[datetime, str]] = []
    for entry in session.scalars(audits.order_by(AuditEntry.id.desc()).limit(MAX_CHANGES_SHOWN)):
        found.append((entry.created_at, f"{entry.actor}: {label(entry.action, 'action').lower()}"))
    for mail in session.scalars(entries.order_by(TicketEntry.id.desc()).limit(MAX_CHANGES_SHOWN)):
        found.append((mail.created_at, f"ny mail fra {mail.author or 'kunden'}"))
    found.sort(key=lambda item: item[0])
    return [f"{at.astimezone(zone):%H:%M} {text}" for at, text in found[-MAX_CHANGES_SHOWN:]]


def refusal(session: Session, ticket: int, moment: datetime | None, zone: ZoneInfo) -> StaleTicket:
    changes = changes_since(session, ticket, moment, zone)
    shown = f" ({'; '.join(changes)})" if changes else ""
    return StaleTicket(f"Sag #{ticket} er ændret, siden du åbnede den{shown}. Din ændring er ikke gemt: "
                       "se sagen, som den er nu, og prøv igen.")


def expect_version(session: Session, ticket: Ticket, submitted: str | None, loaded_at: str | None,
                   zone: ZoneInfo) -> None:
    """Refuse (StaleTicket) unless `submitted` is the ticket's stored version.

    A form without a version is refused too: every ticket form of the UI sends one, so a missing one is
    an old page or a hand-made request, and either may be based on a state that is gone.
    """
    if (submitted or "").strip() != str(ticket.version):
        raise refusal(session, ticket.id, parse_moment(loaded_at), zone)
