"""What a follow-up does to the ticket it lands on: a more urgent mail raises the ticket. Pure.

"Now the server is down" on a normal ticket makes the ticket an emergency (with the new mail's
review flags added), so the queue shows it first and the on-call person is called. Only emergency
and high can raise a ticket; a follow-up never lowers one.
"""

from __future__ import annotations

from inbox_worker.domain.enums import Outcome, Priority
from inbox_worker.domain.types import TicketChange, TicketState, Trace

URGENT = (Priority.EMERGENCY, Priority.HIGH)


def decide_ticket_change(outcome: Outcome, priority: Priority, review: list[str], ticket: TicketState | None,
                         trace: Trace) -> TicketChange | None:
    if outcome not in (Outcome.UPDATED_TICKET, Outcome.REOPENED_TICKET) or ticket is None:
        return None
    if priority not in URGENT or not priority.more_urgent_than(ticket.priority):
        return None
    merged = (*ticket.review, *(flag for flag in review if flag not in ticket.review))
    trace.add("escalate", "ticket-raised", priority,
              f"Sagen er løftet fra {ticket.priority} til {priority} af den nye mail")
    return TicketChange(priority, merged)
