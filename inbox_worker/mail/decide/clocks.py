"""What a mail does to its ticket's response-time clocks: a new ticket starts them, a follow-up moves them. Pure.

A new ticket's clocks start when the mail arrived, with the targets of rules/response.toml (a phone
call is also its first answer: the customer is on the line). On an existing ticket: a reopen starts
both clocks again; the customer's answer to a ticket waiting for them lets the resolution clock run
again; a follow-up that raises the priority recomputes the targets (staff's own targets stay); a MICO
colleague's own mail on the thread (a reply from their mail client) is the first response. The
automatic acknowledgement never is. Every move is traced in stage "response" with both due moments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import Outcome, Priority, ThreadAction, TicketStatus
from inbox_worker.domain.response_clock import STAFF_OVERRIDE, ClockChange, ResponseClocks
from inbox_worker.domain.response_decision import ResponseDecision
from inbox_worker.domain.types import LinkDecision, ParsedMail, ThreadDecision, TicketChange, TicketState, Trace
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.mail.decide.facts import MailFacts
from inbox_worker.mail.decide.response import ResponseRules, danish_moment, decide_response, decide_targets


@dataclass(frozen=True)
class ClockInput:
    """What the clock stage reads of the stages before it."""

    outcome: Outcome
    thread: ThreadDecision
    ticket: TicketState | None  # the existing ticket the mail continues
    change: TicketChange | None  # what the mail does to it (status, a raise)
    facts: MailFacts  # with the mail's priority
    at: datetime  # when the mail arrived (the call: now)
    staff_sender: str | None = None  # a MICO colleague's address, when they wrote it
    phone: bool = False


def staff_sender(mail: ParsedMail, link: LinkDecision, staff_domains: frozenset[str]) -> str | None:
    """The sender, when the mail is a MICO colleague's own (not a forward of a customer's, not a known contact)."""
    address = (mail.from_address or "").lower()
    if link.via_forward or link.contact is not None or address.rpartition("@")[2] not in staff_domains:
        return None
    return address or None


def decide_clocks(given: ClockInput, rules: ResponseRules, calendar: WorkCalendar,
                  trace: Trace) -> ResponseDecision | None:
    """The clocks after the mail and the events that moved them; None when the mail has no ticket with clocks."""
    if given.outcome == Outcome.NEW_TICKET:
        started = decide_response(given.facts, rules, given.at, calendar, trace)
        if not given.phone:
            return ResponseDecision(started.clocks, (started,), given.at)
        answered = clock.first_response(started.clocks, given.at, "telefonopkald")
        assert answered is not None  # new clocks have no first response yet
        trace_change(trace, answered, calendar, "phone-answers")
        return ResponseDecision(answered.clocks, (started, answered), given.at)
    ticket = given.ticket
    if ticket is None or given.outcome not in (Outcome.UPDATED_TICKET, Outcome.REOPENED_TICKET):
        return None
    changes = _follow_up(given, ticket, rules, calendar, trace)
    clocks = changes[-1].clocks if changes else ticket.clocks
    if clocks is None:
        trace.add("response", "no-clocks", "none", f"Sag #{ticket.number} er fra før svarfristerne: ingen frister")
        return None
    if given.staff_sender is not None:
        answered = clock.first_response(clocks, given.at, f"mail fra {given.staff_sender}")
        if answered is not None:
            trace_change(trace, answered, calendar, "staff-mail-answers")
            changes.append(answered)
            clocks = answered.clocks
    if not changes:
        _trace_unchanged(trace, clocks, calendar)
    return ResponseDecision(clocks, tuple(changes), given.at, given.staff_sender)


def _follow_up(given: ClockInput, ticket: TicketState, rules: ResponseRules, calendar: WorkCalendar,
               trace: Trace) -> list[ClockChange]:
    """Reopen, resume, retarget: what a follow-up does to the clocks before any first response."""
    raised = given.change.priority if given.change is not None else None
    priority = raised or ticket.priority
    clocks = ticket.clocks
    if given.thread.action == ThreadAction.REOPEN:
        targets, _ = decide_targets(_with_priority(given.facts, priority), rules)
        restarted = clock.reopen(clocks, targets, given.at, calendar) if clocks else clock.start(
            targets, given.at, calendar)
        trace_change(trace, restarted, calendar)
        return [restarted]
    if clocks is None:
        return []
    changes: list[ClockChange] = []
    if given.staff_sender is None and ticket.status == TicketStatus.WAITING:
        resumed = clock.resume(clocks, given.at, calendar)
        if resumed is not None:
            trace_change(trace, resumed, calendar)
            changes.append(resumed)
            clocks = resumed.clocks
    if raised is not None:
        targets, _ = decide_targets(_with_priority(given.facts, raised), rules)
        recomputed = clock.retarget(clocks, targets, calendar)
        if recomputed is not None:
            trace_change(trace, recomputed, calendar)
            changes.append(recomputed)
        elif clocks.targets.rule == STAFF_OVERRIDE:
            trace.add("response", "staff-targets-kept", "kept",
                      f"Prioriteten er hævet, men fristerne er sat af en medarbejder og gælder stadig: "
                      f"{clocks.targets.reason}")
    return changes


def _with_priority(facts: MailFacts, priority: Priority) -> MailFacts:
    return dataclasses.replace(facts, priority=priority)


def trace_change(trace: Trace, change: ClockChange, calendar: WorkCalendar, rule: str | None = None) -> None:
    """One clock event in the trace: the rule, the event, the Danish reason with both due moments."""
    trace.add("response", rule or change.rule, change.event.value,
              f"{change.reason}. {_dues(change.clocks, calendar)}", event=change.event.value,
              **_details(change.clocks))


def _trace_unchanged(trace: Trace, clocks: ResponseClocks, calendar: WorkCalendar) -> None:
    trace.add("response", "clocks-unchanged", "unchanged",
              f"Mailen flytter ingen frister. {_dues(clocks, calendar)}", **_details(clocks))


def _details(clocks: ResponseClocks) -> dict[str, str]:
    return {"clock": clocks.targets.mode.value, "first_response_due": clocks.first_response_due.isoformat(),
            "resolution_due": clocks.resolution_due.isoformat()}


def _dues(clocks: ResponseClocks, calendar: WorkCalendar) -> str:
    zone = ZoneInfo(calendar.hours.timezone)
    first = "Første svar er givet" if clocks.first_response_at else \
        f"Første svar senest {danish_moment(clocks.first_response_due, zone)}"
    resolved = "løsningsfristen står stille (afventer kunden)" if clocks.paused_at else \
        f"løst senest {danish_moment(clocks.resolution_due, zone)}"
    return f"{first}, {resolved}"
