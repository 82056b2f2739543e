"""Staff set a ticket's response-time targets by hand, with a reason: they win over the rules from then on.

For the CLI (`tickets set-targets`) and the web form alike. The new targets count from the ticket's
start, as the rules' do; a later priority raise keeps them (domain/response_clock.retarget), a reopen
too. A ticket from before the clocks gets its clocks here, started when it was opened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import ClockChange
from inbox_worker.errors import UserError
from inbox_worker.features.tickets.clocks import ClockSetup, targets_for
from inbox_worker.store import audit
from inbox_worker.store import response as clocks_store
from inbox_worker.store.models import Ticket, TicketEntry

MAX_REASON = 400  # the reason goes into the ticket's targets with a prefix; the column holds 500


def set_targets(session: Session, number: int, first_response_minutes: int, resolution_minutes: int,
                mode: ClockMode | str | None, reason: str, by: str, setup: ClockSetup, now: datetime) -> ClockChange:
    """Override ticket `number`'s targets (working minutes; `mode` None: the clock it runs on now); audited."""
    reason, by = reason.strip(), by.strip()
    if not reason:
        raise UserError("skriv en begrundelse for de nye frister (--reason)")
    if len(reason) > MAX_REASON:
        raise UserError(f"begrundelsen er for lang: højst {MAX_REASON} tegn")
    if not by:
        raise UserError("sig, hvem der sætter fristerne (--by)")
    if mode and mode not in {m.value for m in ClockMode}:
        raise UserError(f"fristerne løber i åbningstiden (opening_hours) eller døgnet rundt (around_the_clock), "
                        f"ikke {mode!r}")
    if first_response_minutes > resolution_minutes:
        raise UserError("fristen for første svar kan ikke være længere end fristen for løsning")
    ticket = session.get(Ticket, number, with_for_update=True)
    if ticket is None:
        raise UserError(f"sag #{number} findes ikke")
    clocks = clocks_store.clocks_of(ticket)
    if clocks is None:  # from before the clocks: started when the ticket was opened, then overridden
        clocks = clock.start(targets_for(session, ticket, setup, now), ticket.created_at, setup.calendar).clocks
    chosen = ClockMode(mode) if mode else clocks.targets.mode
    before = clocks.targets
    change = clock.override(clocks, first_response_minutes, resolution_minutes, chosen, reason, setup.calendar)
    clocks_store.record(session, ticket, change, now, by)
    ticket.updated_at = now
    session.add(TicketEntry(ticket_id=number, kind="event", author=by, subject="Frister ændret", created_at=now,
                            body_text=change.reason))
    audit.record(session, by, "set-targets", now, ticket=number, reason=reason, clock=chosen.value,
                 before={"rule": before.rule, "first_response_minutes": before.first_response_minutes,
                         "resolution_minutes": before.resolution_minutes, "clock": before.mode.value},
                 first_response_minutes=first_response_minutes, resolution_minutes=resolution_minutes,
                 first_response_due=change.clocks.first_response_due.isoformat(),
                 resolution_due=change.clocks.resolution_due.isoformat())
    return change
