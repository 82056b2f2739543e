"""The plain data that travels through the pipeline: parsed facts, each stage's decision, and the trace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from inbox_worker.domain.enums import (
    Category,
    CoverageStatus,
    GuardAction,
    Language,
    OutboxStatus,
    Outcome,
    Priority,
    RawState,
    ThreadAction,
    TicketStatus,
)
from inbox_worker.domain.response_clock import ResponseClocks
from inbox_worker.domain.response_decision import ResponseDecision

# The states travel with the types that carry them; importing them from here is the same enum.
__all__ = ["CoverageStatus", "GuardAction", "OutboxStatus", "Outcome", "RawState", "ThreadAction", "TicketStatus"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str
    payload: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class Forwarded:
    """The original mail inside a forward: who first wrote it and what they wrote."""

    from_address: str
    from_name: str | None
    subject: str | None
    text: str  # the original's own new text: no quotes, no signature


@dataclass(frozen=True)
class ParsedMail:
    """What the parser found in one raw mail; everything decoded, nothing decided."""

    message_id: str | None
    subject: str | None
    from_address: str | None
    from_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    headers: dict[str, tuple[str, ...]]  # lower-cased name -> values, only those the decisions read
    content_type: str
    body_text: str
    new_text: str  # body_text without quoted replies and signature
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]
    sha256: str
    size: int
    forwarded: Forwarded | None = None  # set when the body carries a forwarded mail

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


@dataclass(frozen=True)
class TraceEntry:
    stage: str
    rule: str
    result: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    """Append-only record of which rule fired in which stage, and why."""

    entries: list[TraceEntry] = field(default_factory=list)

    def add(self, stage: str, rule: str, result: str, reason: str, **details: Any) -> None:
        self.entries.append(TraceEntry(stage, rule, result, reason, details))


# --- registry snapshot: what the pure decisions know about customers -----------------------------


@dataclass(frozen=True)
class CustomerInfo:
    key: str
    name: str
    domains: tuple[str, ...]
    agreement: str
    agreement_end: date | None
    packages: tuple[str, ...]
    contact_person: str | None
    account_manager: str | None
    language: str
    exceptions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ContactInfo:
    customer: str
    email: str
    aliases: tuple[str, ...]
    name: str
    packages: tuple[str, ...]
    language: str
    phone: str | None = None


@dataclass(frozen=True)
class DeviceInfo:
    customer: str
    tag: str
    kind: str
    name: str
    hostname: str | None
    serial: str | None
    model: str | None
    user: str | None
    primary: bool
    packages: tuple[str, ...]
    extra_network: bool = False  # part of an extra network (another site, a guest network), not the primary one


@dataclass(frozen=True)
class RegistrySnapshot:
    customers: dict[str, CustomerInfo]
    contacts_by_address: dict[str, ContactInfo]  # every email and alias, lower-cased
    customer_by_domain: dict[str, str]
    devices: dict[str, tuple[DeviceInfo, ...]]  # customer key -> devices


# --- context the repository looks up for one mail before the pure stages run ---------------------


@dataclass(frozen=True)
class TicketState:
    number: int
    status: TicketStatus
    customer: str | None
    closed_at: datetime | None
    coverage_override: Coverage | None = None  # set by staff (tickets set-coverage): wins over the rules
    priority: Priority = Priority.NORMAL
    review: tuple[str, ...] = ()
    oncall_notified: bool = False  # the ticket has had its one on-call notice
    merged_from: tuple[int, ...] = ()  # the mail named these tickets, which staff merged into this one
    clocks: ResponseClocks | None = None  # its response-time clocks (None: a ticket from before them)


@dataclass(frozen=True)
class EarlierCopies:
    """Stored mails with this mail's Message-ID that are not the same mail (store/raw.py decides)."""

    reused_by: tuple[int, ...] = ()  # raw ids of different mails that carried the same Message-ID
    supersedes: tuple[int, ...] = ()  # raw ids of quarantined, truncated copies this complete one replaces


@dataclass(frozen=True)
class MailContext:
    now: datetime
    tagged_ticket: TicketState | None  # the ticket named by [MICO #N] in the subject, if it exists
    referenced_ticket: TicketState | None  # the ticket of a stored message named in In-Reply-To/References
    acks_to_sender_last_hour: int
    # The visit tickets (category `visit`) per customer key opened in `visit_year`, the calendar year
    # (Copenhagen) of now: the service visits used, counting the ticket this mail continues, if it is one.
    visit_tickets: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    visit_year: int | None = None
    # The number the next new ticket gets (ticket numbers are handed out in order, without gaps).
    next_ticket_number: int | None = None
    # When the mail reached our mailbox (not its Date header, which the sender writes): the ack limit's clock.
    arrived_at: datetime | None = None
    copies: EarlierCopies = field(default_factory=EarlierCopies)

    def ticket_state(self, thread: ThreadDecision) -> TicketState | None:
        """The state of the existing ticket the thread decision continues (None for a new ticket)."""
        if thread.action == ThreadAction.NEW:
            return None
        for state in (self.tagged_ticket, self.referenced_ticket):
            if state is not None and state.number == thread.ticket:
                return state
        return None

    def visits_used(self, customer: str | None, thread: ThreadDecision) -> int:
        """The customer's service visits this year, besides the ticket this mail continues."""
        tickets = self.visit_tickets.get(customer or "", ())
        return sum(1 for number in tickets if thread.action == ThreadAction.NEW or number != thread.ticket)


# --- decisions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardDecision:
    """Whether a mail is an ordinary request (`accept`), automatic mail (`ignore`) or unsafe (`quarantine`)."""

    action: GuardAction
    rule: str
    reason: str


@dataclass(frozen=True)
class LinkDecision:
    customer: str | None
    contact: str | None
    devices: tuple[str, ...]
    review: tuple[str, ...]
    via_forward: bool = False  # linked through the original sender of a mail a colleague forwarded
    kind_linked: tuple[str, ...] = ()  # the devices linked only because their kind was named


@dataclass(frozen=True)
class Classification:
    category: Category
    language: Language
    review: tuple[str, ...] = ()
    outside_hours: bool = False  # arrived outside MICO's opening hours (Europe/Copenhagen clock)
    emergency: bool = False  # the sender's new words report an acute, fatal failure (the priority rules read it)


@dataclass(frozen=True)
class ThreadDecision:
    action: ThreadAction
    ticket: int | None  # the existing ticket to update or reopen
    previous_ticket: int | None = None  # a closed ticket the new one refers to


@dataclass(frozen=True)
class Coverage:
    status: CoverageStatus
    rate_dkk: int
    package: str | None
    rule: str
    reason: str
    review: tuple[str, ...] = ()  # review flags the coverage adds

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "rate_dkk": self.rate_dkk,
            "package": self.package,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AckDecision:
    send: bool
    reason: str | None  # why it is suppressed, when it is


@dataclass(frozen=True)
class TicketChange:
    """What a mail does to the existing ticket it continues (written by the store as it stands here)."""

    status: TicketStatus  # after the mail: open for a reopen or a customer's answer, else as it was
    priority: Priority | None = None  # raised to this by a more urgent follow-up (never lowered)
    review: tuple[str, ...] | None = None  # the ticket's review flags after a raise


@dataclass(frozen=True)
class OncallNotice:
    """The one notice of a ticket that became an emergency: the on-call phone outside hours, else staff."""

    recipient: str
    outside_hours: bool


@dataclass
class WorkItem:
    """One mail on its way through the pipeline."""

    parsed: ParsedMail
    context: MailContext
    trace: Trace = field(default_factory=Trace)
    guard: GuardDecision | None = None
    link: LinkDecision | None = None
    classification: Classification | None = None
    thread: ThreadDecision | None = None
    coverage: Coverage | None = None
    ack: AckDecision | None = None
    outcome: Outcome | None = None
    review: list[str] = field(default_factory=list)
    priority: Priority | None = None
    ticket_change: TicketChange | None = None
    oncall: OncallNotice | None = None
    visit_year: int | None = None
    response: ResponseDecision | None = None
