"""SQLAlchemy 2 models: the registry, raw mail, tickets and their thread, the outbox and the decision log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from inbox_worker.store import queue_columns


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes everywhere; SQLite keeps no zone, so values are stored as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            from datetime import UTC

            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    domains: Mapped[list[Any]] = mapped_column(default=list)
    agreement: Mapped[str] = mapped_column(String(16))
    agreement_end: Mapped[date | None] = mapped_column(Date)
    packages: Mapped[list[Any]] = mapped_column(default=list)
    contact_person: Mapped[str | None] = mapped_column(String(320))
    account_manager: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2), default="da")
    exceptions: Mapped[list[Any]] = mapped_column(default=list)
    # The weekly summary to the contact person: "activity" (only a week with tickets or time), "always", "never".
    weekly_summary: Mapped[str] = mapped_column(String(16), default="activity", server_default="activity")
    # Who made the row (migration 0013): "registry" (the registry file) or "staff" (the web UI); a re-import
    # keeps staff-made rows (store/registry_import.py).
    origin: Mapped[str] = mapped_column(String(16), default="registry", server_default="registry")


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    packages: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(2), default="da")
    origin: Mapped[str] = mapped_column(String(16), default="registry", server_default="registry")  # see Customer
    # The aliases (also in `aliases`) staff added in the web UI: a re-import keeps them beside the file's.
    staff_aliases: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    hostname: Mapped[str | None] = mapped_column(String(200))
    serial: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    user_email: Mapped[str | None] = mapped_column(String(320))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    packages: Mapped[list[Any]] = mapped_column(default=list)
    # Part of an extra network (another site, a guest network): covered only with MCOSADNET.
    extra_network: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    origin: Mapped[str] = mapped_column(String(16), default="registry", server_default="registry")  # see Customer


class RawMessage(Base):
    """Every mail received: its identity, where it came from, and what became of it (bytes in RawBlob)."""

    __tablename__ = "raw_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    __table_args__ = (
        UniqueConstraint("identity", name="uq_raw_messages_identity"),
        # What is in quarantine (and since when), found without reading every processed mail: the desk, /metrics.
        Index("ix_raw_messages_outcome_state", "outcome", "state", "processed_at"),
    )
    # Message-ID when the mail has one, else "sha256:<hex>". Not unique: copies and reused Message-IDs share it.
    dedupe_key: Mapped[str] = mapped_column(String(1000), index=True)
    # dedupe_key + content fingerprint, on the one copy of a mail that is handled (NULL on the other
    # copies): a second copy of the same mail is a duplicate of this row (store/raw.py says which parts count).
    identity: Mapped[str | None] = mapped_column(String(1100))
    content_sha: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(500))
    source_uid: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime]  # when we stored it
    # When it reached the mailbox (IMAP INTERNALDATE, set by our server; else when we stored it): the
    # time the ack limit counts by, since a sender can write any Date header.
    arrived_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_messages.id", name="fk_raw_messages_duplicate_of"))
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_messages.id", name="fk_raw_messages_superseded_by"))
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    processed_at: Mapped[datetime | None]


class RawBlob(Base):
    """The original bytes of a mail, stored before anything else happens and never changed.

    A table of its own: updating a mail's state must not rewrite (SQLite: copy into memory) its bytes.
    """

    __tablename__ = "raw_blobs"
    raw_message_id: Mapped[int] = mapped_column(ForeignKey("raw_messages.id", ondelete="CASCADE"), primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_updated", "status", "updated_at"),
        # Service visits are counted per customer and calendar year: tickets of category "visit".
        Index("ix_tickets_category_created", "category", "created_at"),
        # The triage queue (web UI): needing a look first, then priority, then age; and, covering every
        # filter column, one index-only scan for all the filter counts (features/queue/triage.py), "overskredet"
        # (next_due_at, migration 0009) included.
        Index("ix_tickets_queue", "status", "look_rank", "priority_rank", "created_at"),
        Index("ix_tickets_facets", "status", "customer_id", "category", "coverage_status", "priority_rank",
              "next_due_at"),
        # The queue by nearest due moment, and "overskredet", within a status (migration 0009).
        Index("ix_tickets_due", "status", "next_due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)  # the ticket number, "#1042"
    subject: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    from_address: Mapped[str | None] = mapped_column(String(320), index=True)
    category: Mapped[str] = mapped_column(String(32), default="other")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    language: Mapped[str] = mapped_column(String(2), default="da")
    coverage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    review: Mapped[list[Any]] = mapped_column(default=list)
    previous_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Added for the web UI (migration 0003). The three sort columns are derived from review, priority and
    # coverage (store/queue_columns.py): by column defaults on insert, by features/tickets/edit.refresh_sort
    # on a staff change and by store/apply.py when a follow-up raises the ticket.
    look_rank: Mapped[int] = mapped_column(Integer, default=queue_columns.default_look_rank, server_default="9")
    priority_rank: Mapped[int] = mapped_column(Integer, default=queue_columns.default_priority_rank, server_default="2")
    coverage_status: Mapped[str] = mapped_column(String(16), default=queue_columns.default_coverage_status,
                                                 server_default="undetermined")
    assignee: Mapped[str | None] = mapped_column(String(16), index=True)  # staff initials
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The response-time clocks (migration 0009; domain/response_clock.py, written only by store/response.py):
    # the targets and the rule that set them, the due moments, what met them. Empty on tickets older than
    # the clocks. next_due_at is the nearest open promise: the queue's sort, "overskredet", the warnings.
    response_rule: Mapped[str | None] = mapped_column(String(64))
    response_reason: Mapped[str | None] = mapped_column(String(500))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    clock_mode: Mapped[str | None] = mapped_column(String(16))  # opening_hours | around_the_clock
    clock_started_at: Mapped[datetime | None]
    first_response_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]  # waiting for the customer since: the resolution clock stands still
    paused_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resolved_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # Optimistic concurrency (migration 0010): every ORM update of the row adds one and checks the value it
    # read, and the pipeline's own updates add one too; a staff form carries the version its page showed,
    # so an action on a page that is out of date is refused (features/tickets/concurrency.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, when the class is mapped)


class TicketDevice(Base):
    __tablename__ = "ticket_devices"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)


class TicketEntry(Base):
    """One item in a ticket's thread: an inbound mail, an outbound mail, a note or an event."""

    __tablename__ = "ticket_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # inbound | outbound | note | event
    raw_message_id: Mapped[int | None] = mapped_column(ForeignKey("raw_messages.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    author: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(1000))
    body_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class MessageRef(Base):
    """Every Message-ID we stored or sent, and its ticket: what In-Reply-To/References thread by."""

    __tablename__ = "message_refs"
    message_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out


class AttachmentRecord(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    raw_message_id: Mapped[int] = mapped_column(ForeignKey("raw_messages.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str | None] = mapped_column(String(500))  # None when over the size cap
    skipped_reason: Mapped[str | None] = mapped_column(String(200))


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # The loop limit counts a sender's acks by when the mails that triggered them arrived.
        Index("ix_outbox_recipient_trigger", "recipient", "trigger_date"),
        # /metrics counts rows by status and kind (sent summaries, on-call notices) from this index alone.
        Index("ix_outbox_status_kind", "status", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # ack | reply | summary | oncall | alert | warning
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    message_id: Mapped[str] = mapped_column(String(1000), unique=True)
    subject: Mapped[str] = mapped_column(String(1000))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the complete rendered message, sent as is
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]  # when a flush took the row for sending
    # For acks: when the mail that triggered it reached our mailbox (IMAP INTERNALDATE; never its Date
    # header, which the sender writes). Loop protection counts acks to a sender whose triggering mails
    # arrived within an hour, so a backlog after downtime is not mistaken for a loop.
    trigger_date: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    # A staff reply's Cc addresses (also in its Cc header): the envelope's recipients besides `recipient`.
    cc: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")


class OutboxAttachment(Base):
    """A file a staff reply carries: its bytes in the attachment store, added as a MIME part when it is sent,
    so the outbox row stays small and a send retried later still has them."""

    __tablename__ = "outbox_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(500))


class MailboxState(Base):
    """Per mailbox and folder: the UIDVALIDITY seen, and the lease of the worker polling it.

    Which mails are done is not a UID here: a mail is moved or flagged on the server only after its
    batch committed, and a rescan finds the rest (the raw store's dedupe makes that safe).
    """

    __tablename__ = "mailbox_state"
    mailbox: Mapped[str] = mapped_column(String(500), primary_key=True)  # user@host/folder
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class DecisionLog(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    raw_message_id: Mapped[int] = mapped_column(ForeignKey("raw_messages.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20), index=True)  # indexed for /metrics' counts by outcome
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trace: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class CoverageOverride(Base):
    """A staff decision on a ticket's coverage (who, when, why): it wins over the rules from then on."""

    __tablename__ = "coverage_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # covered | billable
    rate_dkk: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(320))
    previous: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the ticket's coverage before
    created_at: Mapped[datetime]


class TimeEntry(Base):
    """Time spent on a ticket; append-only: a correction is a new entry that names the one it corrects."""

    __tablename__ = "time_entries"
    __table_args__ = (Index("ix_time_entries_work_date", "work_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    work_date: Mapped[date] = mapped_column(Date)  # the day the work was done (Copenhagen)
    minutes: Mapped[int] = mapped_column(Integer)  # negative only in a correction
    by: Mapped[str] = mapped_column(String(16))  # the staff member's initials
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # the coverage taken when logged: covered | billable | undetermined
    rate_dkk: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))  # where the coverage came from: a rule id, staff-override, ...
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("time_entries.id"), index=True)
    created_at: Mapped[datetime]


class SummarySent(Base):
    """One weekly summary per customer and ISO week, ever: the record that makes sending idempotent."""

    __tablename__ = "summaries_sent"
    __table_args__ = (UniqueConstraint("customer_id", "week", name="uq_summaries_customer_week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))  # "2026-W47"
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime]


class OncallNotice(Base):
    """The one emergency notification a ticket may ever get (to the on-call or the staff address)."""

    __tablename__ = "oncall_notices"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    recipient: Mapped[str] = mapped_column(String(320))
    outside_hours: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class ResponseEvent(Base):
    """One move of a ticket's response-time clocks (started, first response, paused, ...): its history."""

    __tablename__ = "response_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(16))  # domain.response_clock.ClockEvent
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str | None] = mapped_column(String(320))  # staff initials, a mail address, or empty: the rules
    first_response_due_at: Mapped[datetime | None]  # the due moments after the event
    resolution_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]  # when the event happened


class ResponseWarning(Base):
    """The one warning a ticket may get per target before that target is missed."""

    __tablename__ = "response_warnings"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[str] = mapped_column(String(16), primary_key=True)  # first_response | resolution
    due_at: Mapped[datetime]
    recipient: Mapped[str] = mapped_column(String(320))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime]


class Staff(Base):
    """A staff member who logs in to the web UI (argon2 password hash, never the password)."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    initials: Mapped[str] = mapped_column(String(16), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    signature: Mapped[str] = mapped_column(Text, default="", server_default="")  # plain text under their replies


class TicketViewer(Base):
    """Who has a ticket's page open: one row per ticket and staff member, the moment last seen (migration 0012).

    Written when the page is shown and by its script's heartbeat; read to show "også åben hos". Not an
    access log (who saw what is recorded elsewhere): a row is overwritten at every view.
    """

    __tablename__ = "ticket_viewers"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime]


class WebSession(Base):
    """One staff login to the web UI. The cookie holds a random token; only its sha256 is stored here.

    A session is valid while `ended_at` is empty, it was seen within the idle timeout and it is younger
    than the absolute lifetime; logout, a password change or removing the staff member end it for good.
    """

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the cookie's token
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(16))  # logout, idle, expired, password, removed


class AuditEntry(Base):
    """What a staff member did, to which ticket or customer, when: every web action writes one."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(16))  # staff initials
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class AccessEntry(Base):
    """Who looked at personal data: a staff member viewing a ticket, downloading an attachment, exporting.

    GDPR (issue 16): kept per [privacy] access_log_months, then pruned by `privacy retention`; shown on the
    ticket's audit section. Apart from the audit log, because reads are many and are pruned, actions are not.
    """

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(16))  # staff initials
    action: Mapped[str] = mapped_column(String(16))  # store.access_log.AccessAction
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))
    what: Mapped[str] = mapped_column(String(500), default="")  # e.g. the exported scope; never mail content


class PrivacyErasure(Base):
    """One erasure (privacy erase: a person, a customer) or retention run that anonymised tickets (GDPR).

    Its id is the pseudonym's number ("Slettet person #7"). Who, when, why and how many of each kind; never
    the erased data: the reason is stored scrubbed of the person, the counts are numbers.
    """

    __tablename__ = "privacy_erasures"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(16))  # staff initials or login name; "retention" for the nightly run
    reason: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(16))  # person | customer | retention
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # kind -> number


class ErasedTicket(Base):
    """A ticket whose person was erased or whose text was anonymised ([privacy] ticket_text_months), and by which
    record (migration 0016). A table of its own, not a column of tickets: the ticket row stays as it was built."""

    __tablename__ = "privacy_tickets"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("privacy_erasures.id"), index=True)


class WorkerStatus(Base):
    """The health of one part of the worker, written by the worker and read by /healthz, /metrics and the alerts.

    One row per mailbox (its key: the poll loop, and the heartbeat of `run`), one for SMTP delivery
    ("smtp") and one for the weekly summary job ("summary"); domain/health.py says what each column means.
    """

    __tablename__ = "worker_status"
    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(200))  # host:pid of the last process that wrote it
    started_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    error_kind: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    ok_count: Mapped[int] = mapped_column(BigInteger, default=0)
    error_count: Mapped[int] = mapped_column(BigInteger, default=0)


class AlertRecord(Base):
    """A condition staff are (or were) told about: one row per condition, its latest episode; see features/health."""

    __tablename__ = "alert_state"
    condition: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime]
    since: Mapped[datetime]
    alerted_at: Mapped[datetime | None]
    alert_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    cleared_at: Mapped[datetime | None]  # set when it cleared: the row is history until the condition returns
    recovery_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)


__all__ = [
    "AlertRecord",
    "AttachmentRecord",
    "AuditEntry",
    "Base",
    "Contact",
    "CoverageOverride",
    "Customer",
    "DecisionLog",
    "Device",
    "ErasedTicket",
    "MailboxState",
    "MessageRef",
    "OncallNotice",
    "OutboxMessage",
    "PrivacyErasure",
    "RawBlob",
    "RawMessage",
    "ResponseEvent",
    "ResponseWarning",
    "Staff",
    "SummarySent",
    "Ticket",
    "TicketDevice",
    "TicketEntry",
    "TimeEntry",
    "UniqueConstraint",
    "WebSession",
    "WorkerStatus",
]
