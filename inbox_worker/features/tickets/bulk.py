"""One staff action on several tickets at once (the queue's bulk actions): assign, status, priority, merge.

All or nothing, in the caller's transaction: every ticket's version is checked first (a page that is out
of date for any one of them refuses the whole action, naming that ticket), then each ticket is changed
through the same functions as the ticket page (edit.py, merge.py), so each change is audited per ticket
and moves the response-time clocks exactly as there. The caller commits, or rolls back on any refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.labels import count, label
from inbox_worker.features.tickets import edit
from inbox_worker.features.tickets.clocks import ClockSetup
from inbox_worker.features.tickets.concurrency import expect_version
from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.features.tickets.merge import merge
from inbox_worker.store.models import Ticket

ACTIONS = ("assign", "status", "priority", "merge")
MAX_TICKETS = 500  # more than any queue page holds


@dataclass(frozen=True)
class BulkRequest:
    action: str  # one of ACTIONS
    numbers: Sequence[int]  # the selected tickets
    versions: Mapping[int, str]  # each selected ticket's version as the page showed it
    value: str = ""  # the assignee's initials ("" for nobody), the status, the priority, or the merge target


def _tickets(session: Session, numbers: Sequence[int]) -> list[Ticket]:
    wanted = sorted(set(numbers))
    if not wanted:
        raise ActionError("Vælg mindst én sag i listen først.")
    if len(wanted) > MAX_TICKETS:
        raise ActionError(f"Vælg højst {MAX_TICKETS} sager ad gangen.")
    found = list(session.scalars(select(Ticket).where(Ticket.id.in_(wanted)).order_by(Ticket.id)))
    missing = sorted(set(wanted) - {ticket.id for ticket in found})
    if missing:
        raise ActionError(f"Sag #{missing[0]} findes ikke.")
    return found


def apply(session: Session, request: BulkRequest, actor: str, now: datetime, clocks: ClockSetup,
          loaded_at: str | None, zone: ZoneInfo) -> str:
    """Run the action on every selected ticket; the Danish summary for staff ("3 sager tildelt KB").

    Raises StaleTicket (a ticket changed since the page was loaded) or ActionError (refused input, or one
    ticket that cannot take the change); either way the caller rolls back and nothing is changed."""
    if request.action not in ACTIONS:
        raise ActionError("Ukendt handling.")
    tickets = _tickets(session, request.numbers)
    for ticket in tickets:  # every version before any change: one stale ticket refuses them all
        expect_version(session, ticket, request.versions.get(ticket.id), loaded_at, zone)
    if request.action == "merge":
        return _merge(session, tickets, request.value, actor, now, clocks)
    changed = 0
    for ticket in tickets:
        try:
            if _change(session, ticket, request, actor, now, clocks):
                ticket.updated_at = now
                changed += 1
        except ActionError as exc:  # the whole action is refused: staff must know for which ticket
            raise ActionError(f"Sag #{ticket.id}: {exc}.") from exc
    return _summary(request, changed, len(tickets) - changed)


def _change(session: Session, ticket: Ticket, request: BulkRequest, actor: str, now: datetime,
            clocks: ClockSetup) -> bool:
    """Change one ticket; False when it already had the value (nothing written, nothing audited)."""
    if request.action == "assign":
        if (ticket.assignee or "") == request.value:
            return False
        edit.assign(session, ticket, request.value or None, actor, now)
        return True
    field = request.action  # status | priority
    if getattr(ticket, field) == request.value:
        return False
    edit.set_field(session, ticket, field, request.value, actor, now, clocks)
    return True


def _summary(request: BulkRequest, changed: int, unchanged: int) -> str:
    tickets = count(changed, "sag", "sager")
    if request.action == "assign":
        text = f"{tickets} tildelt {request.value}" if request.value else f"{tickets} har nu ingen tildelt"
    else:
        kind = "status" if request.action == "status" else "prioritet"
        text = f"{tickets} sat til {kind} {label(request.value, request.action).lower()}"
    if unchanged:
        text += f" ({count(unchanged, 'sag havde', 'sager havde')} det allerede)"
    return text


def _merge(session: Session, tickets: list[Ticket], into: str, actor: str, now: datetime,
           clocks: ClockSetup) -> str:
    """Merge the selected into one of them: the lowest number, or the one named by `into`."""
    if len(tickets) < 2:
        raise ActionError("Vælg mindst to sager for at flette dem.")
    text = into.strip().lstrip("#")
    if text and not text.isdigit():
        raise ActionError("Skriv nummeret på den sag, de andre skal flettes ind i, eller lad feltet stå tomt.")
    target = int(text) if text else tickets[0].id
    if target not in {ticket.id for ticket in tickets}:
        raise ActionError(f"Sag #{target} er ikke blandt de valgte sager.")
    sources = [ticket for ticket in tickets if ticket.id != target]
    for source in sources:
        try:
            merge(session, source, target, actor, now, clocks)
        except ActionError as exc:
            raise ActionError(f"Sag #{source.id}: {exc}.") from exc
        source.updated_at = now
    numbers = " og ".join(", ".join(f"#{t.id}" for t in sources).rsplit(", ", 1))
    return f"{count(len(sources), 'sag', 'sager')} flettet ind i #{target}: {numbers}"
