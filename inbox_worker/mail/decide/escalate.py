"""What a mail does to the ticket it continues: its status after the mail, and a raise when it is more urgent. Pure.

A customer's answer ends "waiting for the customer" (a MICO colleague's own mail on the thread does
not: the ticket still waits for the customer); a reopen opens a closed ticket. "Now the server
is down" on a normal ticket makes the ticket an emergency (with the new mail's review flags added),
so the queue shows it first and the on-call person is called. Which priorities raise a ticket is
`raises_ticket` in rules/priority.toml; a follow-up never lowers one.
"""

from __future__ import annotations

from collections.abc import Collection

from inbox_worker.domain.enums import Outcome, Priority, TicketStatus
from inbox_worker.domain.types import TicketChange, TicketState, Trace


def decide_ticket_change(outcome: Outcome, priority: Priority, review: list[str], ticket: TicketState | None,
                         raises_ticket: Collection[Priority], trace: Trace,
                         from_staff: bool = False) -> TicketChange | None:
    if outcome not in (Outcome.UPDATED_TICKET, Outcome.REOPENED_TICKET) or ticket is None:
        return None
    status = ticket.status
    if outcome == Outcome.REOPENED_TICKET:
        status = TicketStatus.OPEN  # the thread stage traced why
    elif ticket.status == TicketStatus.WAITING and from_staff:
        trace.add("escalate", "staff-mail-keeps-waiting", "waiting",
                  f"Mailen er fra en medarbejder: sag #{ticket.number} afventer stadig kunden")
    elif ticket.status == TicketStatus.WAITING:
        status = TicketStatus.OPEN
        trace.add("escalate", "customer-answered", "open",
                  f"Kunden har svaret: sag #{ticket.number} afventer ikke længere kunden")
    if priority not in raises_ticket or not priority.more_urgent_than(ticket.priority):
        return TicketChange(status)
    merged = (*ticket.review, *(flag for flag in review if flag not in ticket.review))
    trace.add("escalate", "ticket-raised", priority,
              f"Sagen er løftet fra {ticket.priority} til {priority} af den nye mail")
    return TicketChange(status, priority, merged)
