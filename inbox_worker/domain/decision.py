"""The decision for one mail: a frozen record of everything the pipeline decided, and its JSON form.

`Decision.as_json()` is exactly the decision object of interface.md (what `ingest --json` and
`explain` print), plus `response` (the ticket's response-time clocks) when the mail has a ticket with
clocks; the fields after `first_outcome` are what the store writes besides it (the thread, a change
to the ticket the mail lands on, the on-call notice, the clocks) and the trace of every rule tried.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from inbox_worker.domain.enums import AckStatus, Category, CoverageStatus, Language, Outcome, Priority
from inbox_worker.domain.response_decision import ResponseDecision
from inbox_worker.domain.types import Coverage, OncallNotice, ParsedMail, ThreadDecision, TicketChange, TraceEntry


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    message_id: str | None = None
    sender: str | None = None
    subject: str | None = None
    ticket: int | None = None
    customer: str | None = None
    contact: str | None = None
    devices: tuple[str, ...] = ()
    category: Category | None = None
    priority: Priority | None = None
    language: Language | None = None
    coverage: Coverage | None = None
    outside_hours: bool | None = None
    ack: AckStatus = AckStatus.NONE
    ack_reason: str | None = None
    review: tuple[str, ...] = ()
    reason: str | None = None  # why the mail was ignored, quarantined or a duplicate
    rule: str | None = None  # the guard rule that ignored or quarantined it
    first_outcome: str | None = None  # a duplicate: the outcome of its first processing
    # What the store writes besides the decision object:
    thread: ThreadDecision | None = None
    ticket_change: TicketChange | None = None
    oncall: OncallNotice | None = None
    visit_year: int | None = None  # a new visit ticket: the calendar year whose service visits it uses
    assignee: str | None = None  # a new ticket goes to the customer's personal contact at MICO (initials)
    response: ResponseDecision | None = None  # the ticket's response-time clocks after this mail
    trace: tuple[TraceEntry, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The decision object of interface.md."""
        result: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "subject": self.subject,
            "outcome": str(self.outcome),
            "ticket": self.ticket,
            "customer": self.customer,
            "contact": self.contact,
            "devices": list(self.devices),
            "category": _text(self.category),
            "priority": _text(self.priority),
            "language": _text(self.language),
            "coverage": self.coverage.as_dict() if self.coverage else None,
            "outside_hours": self.outside_hours,
            "ack": str(self.ack),
            "review": list(self.review),
        }
        if self.ack_reason:
            result["ack_reason"] = self.ack_reason
        if self.reason is not None:
            result["reason"] = self.reason
        if self.rule is not None:
            result["rule"] = self.rule
        if self.first_outcome is not None:
            result["first_outcome"] = self.first_outcome
        if self.response is not None:
            result["response"] = self.response.as_dict()
        return result

    def trace_json(self) -> list[dict[str, Any]]:
        return trace_json(self.trace)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decision:
        """A decision object read back from the decision log (a later copy of the mail is its duplicate).

        `response` is not read back: the object holds the due moments, not the whole clocks, and a
        duplicate moves no clock."""
        coverage = data.get("coverage")
        return cls(
            outcome=Outcome(data["outcome"]), message_id=data.get("message_id"), sender=data.get("from"),
            subject=data.get("subject"), ticket=data.get("ticket"), customer=data.get("customer"),
            contact=data.get("contact"), devices=tuple(data.get("devices") or ()),
            category=_enum(Category, data.get("category")), priority=_enum(Priority, data.get("priority")),
            language=_enum(Language, data.get("language")),
            coverage=Coverage(CoverageStatus(coverage["status"]), coverage["rate_dkk"], coverage.get("package"),
                              coverage["rule"], coverage["reason"]) if coverage else None,
            outside_hours=data.get("outside_hours"), ack=AckStatus(data.get("ack", "none")),
            ack_reason=data.get("ack_reason"), review=tuple(data.get("review") or ()), reason=data.get("reason"),
            rule=data.get("rule"), first_outcome=data.get("first_outcome"))

    def as_duplicate(self) -> Decision:
        """This mail again: nothing new happens (no ticket change, no mail), and it says when it was first seen."""
        first = self.first_outcome if self.outcome == Outcome.DUPLICATE and self.first_outcome else str(self.outcome)
        return replace(self, outcome=Outcome.DUPLICATE, ack=AckStatus.NONE, ack_reason=None, review=(),
                       first_outcome=first, reason=f"Allerede behandlet (første udfald: {first})",
                       thread=None, ticket_change=None, oncall=None, visit_year=None, assignee=None,
                       response=None, trace=())


def quarantined(reason: str, rule: str, mail: ParsedMail | None = None, message_id: str | None = None,
                trace: tuple[TraceEntry, ...] = ()) -> Decision:
    """A mail that could not be processed safely: kept with its reason for staff."""
    return Decision(Outcome.QUARANTINED, message_id=mail.message_id if mail else message_id,
                    sender=mail.from_address if mail else None, subject=mail.subject if mail else None,
                    review=("quarantined",), reason=reason, rule=rule, trace=trace)


def trace_json(entries: tuple[TraceEntry, ...] | list[TraceEntry]) -> list[dict[str, Any]]:
    """The trace as stored in the decision log and printed by `explain`."""
    return [{"stage": e.stage, "rule": e.rule, "result": e.result, "reason": e.reason, "details": e.details}
            for e in entries]


def _text(value: str | None) -> str | None:
    return None if value is None else str(value)


def _enum(kind: Any, value: str | None) -> Any:
    return None if value is None else kind(value)
