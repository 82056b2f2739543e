"""The explicit states and closed vocabularies of the product, one enum each (values as in interface.md)."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    NEW_TICKET = "new_ticket"
    UPDATED_TICKET = "updated_ticket"
    REOPENED_TICKET = "reopened_ticket"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    WAITING = "waiting"
    CLOSED = "closed"


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # The whole message went to the server but its reply never came (or a flush died mid-send): the
    # recipient may have it. Never retried automatically; staff retry or cancel it on the desk.
    UNCERTAIN = "uncertain"
    CANCELLED = "cancelled"  # staff decided it is never to be sent


class RawState(enum.StrEnum):
    RECEIVED = "received"  # bytes stored, not yet processed (a crash here means: process again)
    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # a copy of a mail handled before: its bytes kept, nothing else done
    SUPERSEDED = "superseded"  # a quarantined copy that a later copy of the same mail replaced


class GuardAction(enum.StrEnum):
    ACCEPT = "accept"  # an ordinary request
    IGNORE = "ignore"  # automatic mail: stored and attached, never answered
    QUARANTINE = "quarantine"  # unsafe to process: kept for staff


class ThreadAction(enum.StrEnum):
    NEW = "new"
    UPDATE = "update"
    REOPEN = "reopen"


class Category(enum.StrEnum):
    NETWORK = "network"
    PRINTER = "printer"
    COMPUTER = "computer"
    MOBILE = "mobile"
    SERVER = "server"
    BACKUP = "backup"
    ACCOUNT = "account"
    SECURITY = "security"
    SOFTWARE = "software"
    REPLACEMENT = "replacement"
    ADVICE = "advice"
    VISIT = "visit"
    ADMIN = "admin"
    OTHER = "other"


class Priority(enum.StrEnum):
    """Most urgent first: the order is the ranking (`rank`, 0 = most urgent)."""

    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        return list(Priority).index(self)

    def more_urgent_than(self, other: str) -> bool:
        return self.rank < Priority(other).rank


class CoverageStatus(enum.StrEnum):
    COVERED = "covered"
    BILLABLE = "billable"
    UNDETERMINED = "undetermined"


class AckStatus(enum.StrEnum):
    QUEUED = "queued"
    SUPPRESSED = "suppressed"
    NONE = "none"


class Agreement(enum.StrEnum):
    """A customer's agreement as the registry states it (`none` also for one whose end date has passed)."""

    ACTIVE = "active"
    TRIAL = "trial"
    TERMINATED = "terminated"
    NONE = "none"


class Language(enum.StrEnum):
    DA = "da"
    EN = "en"


class ClockMode(enum.StrEnum):
    """How a response-time clock runs (rules/response.toml)."""

    OPENING_HOURS = "opening_hours"  # counts only while MICO is open
    AROUND_THE_CLOCK = "around_the_clock"  # emergencies: every minute counts
