"""Threading decisions as a pure function of the context the repository looked up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_worker.domain.ticket_tag import ticket_tag
from inbox_worker.domain.types import MailContext, ThreadAction, TicketState, TicketStatus, Trace
from inbox_worker.mail.decide.thread import decide_thread

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def context(tagged: TicketState | None = None, referenced: TicketState | None = None) -> MailContext:
    return MailContext(now=NOW, tagged_ticket=tagged, referenced_ticket=referenced, acks_to_sender_last_hour=0)


def ticket(number: int, status: TicketStatus = TicketStatus.OPEN, customer: str | None = "bageriet",
           closed_days_ago: int | None = None) -> TicketState:
    closed = NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    return TicketState(number, status, customer, closed)


def test_the_subject_tag_is_found_in_any_case_and_position() -> None:
    assert ticket_tag("Sv: [mico #1042] Printeren") == 1042
    assert ticket_tag("Re: Printeren") is None


def test_no_tag_and_no_known_reference_is_a_new_ticket() -> None:
    assert decide_thread("bageriet", context(), 14, Trace()).action == ThreadAction.NEW


def test_the_tag_wins_over_references() -> None:
    decision = decide_thread("bageriet", context(ticket(7), ticket(9)), 14, Trace())
    assert (decision.action, decision.ticket) == (ThreadAction.UPDATE, 7)


def test_a_closed_ticket_reopens_within_the_window_and_not_after() -> None:
    recent = decide_thread("bageriet", context(referenced=ticket(7, TicketStatus.CLOSED, closed_days_ago=13)), 14, Trace())
    old = decide_thread("bageriet", context(referenced=ticket(7, TicketStatus.CLOSED, closed_days_ago=15)), 14, Trace())
    assert (recent.action, recent.ticket) == (ThreadAction.REOPEN, 7)
    assert (old.action, old.ticket, old.previous_ticket) == (ThreadAction.NEW, None, 7)


def test_another_customers_ticket_number_is_not_trusted() -> None:
    trace = Trace()
    decision = decide_thread("haarfin", context(tagged=ticket(7, customer="bageriet")), 14, trace)
    assert decision.action == ThreadAction.NEW
    assert any(entry.rule == "subject-tag-other-customer" for entry in trace.entries)


def test_an_unknown_sender_may_still_follow_up_by_tag() -> None:
    decision = decide_thread(None, context(tagged=ticket(7)), 14, Trace())
    assert (decision.action, decision.ticket) == (ThreadAction.UPDATE, 7)


def test_a_reference_to_another_customers_ticket_is_not_followed() -> None:
    trace = Trace()
    decision = decide_thread("haarfin", context(referenced=ticket(9, customer="bageriet")), 14, trace)
    assert (decision.action, decision.ticket, decision.previous_ticket) == (ThreadAction.NEW, None, None)
    assert any(entry.rule == "references-other-customer" for entry in trace.entries)


def test_an_unknown_sender_may_still_follow_up_by_reference() -> None:
    decision = decide_thread(None, context(referenced=ticket(9)), 14, Trace())
    assert (decision.action, decision.ticket) == (ThreadAction.UPDATE, 9)
