"""Which ticket a mail belongs to: [MICO #N] in the subject, else In-Reply-To/References, else a new one. Pure."""

from __future__ import annotations

from datetime import timedelta

from inbox_worker.domain.types import MailContext, ThreadAction, ThreadDecision, TicketState, TicketStatus, Trace


def _continue(ticket: TicketState, context: MailContext, window_days: int, how: str, trace: Trace) -> ThreadDecision:
    if ticket.merged_from:
        merged = ", ".join(f"#{number}" for number in ticket.merged_from)
        trace.add("thread", "merged-ticket", str(ticket.number),
                  f"Sag {merged} er lagt sammen med sag #{ticket.number}: mailen hører til #{ticket.number}")
    if ticket.status != TicketStatus.CLOSED:
        trace.add("thread", how, "update", f"Mailen hører til den åbne sag #{ticket.number}")
        return ThreadDecision(ThreadAction.UPDATE, ticket.number)
    closed_at = ticket.closed_at or context.now
    if context.now - closed_at <= timedelta(days=window_days):
        trace.add("thread", how, "reopen",
                  f"Sag #{ticket.number} blev lukket for under {window_days} dage siden og genåbnes")
        return ThreadDecision(ThreadAction.REOPEN, ticket.number)
    trace.add("thread", how, "new",
              f"Sag #{ticket.number} blev lukket for over {window_days} dage siden: ny sag med henvisning")
    return ThreadDecision(ThreadAction.NEW, None, previous_ticket=ticket.number)


def decide_thread(customer: str | None, context: MailContext, window_days: int, trace: Trace) -> ThreadDecision:
    """Customer is the linked customer: a tag or reference pointing at another customer's ticket is not trusted."""
    tagged = context.tagged_ticket
    if tagged is not None:
        if tagged.customer is None or customer is None or tagged.customer == customer:
            return _continue(tagged, context, window_days, "subject-tag", trace)
        trace.add("thread", "subject-tag-other-customer", "ignored",
                  f"Emnet nævner sag #{tagged.number}, men den tilhører en anden kunde")
    referenced = context.referenced_ticket
    if referenced is not None:
        # A Message-ID is no secret (everyone on Cc knows it): like the tag, it only threads within a customer.
        if referenced.customer is None or customer is None or referenced.customer == customer:
            return _continue(referenced, context, window_days, "references", trace)
        trace.add("thread", "references-other-customer", "ignored",
                  f"In-Reply-To/References peger på sag #{referenced.number}, men den tilhører en anden kunde")
    trace.add("thread", "new-thread", "new", "Hverken sagsnummer i emnet eller kendte In-Reply-To/References")
    return ThreadDecision(ThreadAction.NEW, None)
