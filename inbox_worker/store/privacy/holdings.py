"""Everything held about one person, found before anything is erased: what goes, what is emptied, what is scrubbed.

Their tickets (they wrote or are the contact): text removed, requester pseudonymised. Raw mail: of those
tickets, from them anywhere, and any other that carries their address or name (a colleague's mail with them
in Cc or quoting them), with every stored copy of it. Their mails on others' tickets, outgoing mail to or
about them, the attachments of deleted mail, devices they use, customers they are contact person of, other
contacts holding their address as an alias, threading references; and the scrub of every other table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inbox_worker.domain.privacy import Identity, Scrubber, display_names, written_lines
from inbox_worker.store.models import (
    AttachmentRecord,
    AuditEntry,
    Contact,
    CoverageOverride,
    Customer,
    DecisionLog,
    Device,
    MessageRef,
    OutboxAttachment,
    RawBlob,
    RawMessage,
    ResponseEvent,
    Ticket,
    TicketEntry,
    TimeEntry,
)
from inbox_worker.store.privacy import catalog, copies, outgoing, scan
from inbox_worker.store.privacy.files import unreferenced
from inbox_worker.store.privacy.mailtext import from_display_names
from inbox_worker.store.privacy.person import Person, is_theirs


@dataclass
class Holdings:
    person: Person
    identity: Identity
    tickets: list[int] = field(default_factory=list)  # theirs: text removed, requester pseudonymised
    raw: list[int] = field(default_factory=list)  # raw mails deleted (with decisions and attachments)
    decisions: list[int] = field(default_factory=list)  # of the raw mails: deleted with them
    own_entries: list[int] = field(default_factory=list)  # their mails on others' tickets: deleted
    touched: list[int] = field(default_factory=list)  # others' tickets they appear on
    outbox: list[int] = field(default_factory=list)  # outgoing mail to or about them: emptied
    attachments: list[int] = field(default_factory=list)
    outbox_attachments: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # stored paths the deleted attachment rows referred to
    devices: list[int] = field(default_factory=list)  # they were the user
    contact_person_of: list[int] = field(default_factory=list)  # customers
    alias_holders: list[int] = field(default_factory=list)  # other contacts with their address as an alias
    refs: list[str] = field(default_factory=list)  # Message-IDs no longer threaded
    time_entries: list[int] = field(default_factory=list)  # on their tickets: kept, notes scrubbed
    overrides: list[int] = field(default_factory=list)
    changes: list[catalog.Change] = field(default_factory=list)
    raw_scan: scan.RawScan | None = None  # the scan of the stored mail: an erasure's write reads only newer mail

    def is_empty(self) -> bool:
        return self.person.contact_id is None and not (self.tickets or self.raw or self.own_entries or self.outbox
                                                       or self.changes or self.devices or self.contact_person_of)


def _ids(session: Session, statement: object) -> list[int]:
    return sorted({int(i) for i in session.scalars(statement)})  # type: ignore[call-overload]


def _own_mail(session: Session, addresses: tuple[str, ...]) -> list[TicketEntry]:
    """The inbound entries they wrote, on any ticket."""
    return list(session.scalars(select(TicketEntry).where(TicketEntry.kind == "inbound",
                                                          is_theirs(TicketEntry.author, addresses))))


def _identity(session: Session, person: Person, pseudonym: str, own: list[TicketEntry],
              extra_names: tuple[str, ...]) -> Identity:
    raw_ids = [e.raw_message_id for e in own if e.raw_message_id]
    heads: list[bytes] = list(session.scalars(select(func.substr(RawBlob.raw, 1, 65536)).where(
        RawBlob.raw_message_id.in_(raw_ids)))) if raw_ids else []
    seen = [name for head in heads for name in from_display_names(bytes(head))]
    names = tuple(dict.fromkeys([*display_names([*([person.name] if person.name else []), *seen]), *extra_names]))
    unquoted = ["\n".join(line for line in e.body_text.splitlines() if not line.lstrip().startswith(">"))
                for e in own]
    identity = Identity(pseudonym, person.addresses, names, (person.phone,) if person.phone else (),
                        written_lines(unquoted))
    devices = session.scalars(select(Device.name).where(func.lower(Device.user_email).in_(person.addresses)))
    scrub = Scrubber(identity)
    renames = tuple((name, scrub.scrub(name, loose=True)) for name in devices if name
                    and scrub.scrub(name, loose=True) != name)
    return replace(identity, renames=renames)


def find_holdings(session: Session, person: Person, pseudonym: str, *, extra_tickets: Iterable[int] = (),
                  extra_names: tuple[str, ...] = (), since: scan.RawScan | None = None) -> Holdings:
    addresses = person.addresses
    tickets = set(_ids(session, select(Ticket.id).where(or_(is_theirs(Ticket.from_address, addresses),
                                                            is_theirs(Ticket.contact_email, addresses)))))
    tickets |= set(extra_tickets)
    own = _own_mail(session, addresses)
    identity = _identity(session, person, pseudonym, own, extra_names)
    scrubber = Scrubber(identity)
    held = Holdings(person, identity, sorted(tickets))
    held.own_entries = sorted(e.id for e in own if e.ticket_id not in tickets)
    on_tickets = set(_ids(session, select(TicketEntry.id).where(TicketEntry.ticket_id.in_(tickets))))
    near = set(_ids(session, select(Ticket.id).where(Ticket.customer_id == person.customer_id))) - tickets \
        if person.customer_id else set()
    mentioning = scan.mentioning_entries(session, scrubber, on_tickets | set(held.own_entries), near)
    raw = set(_ids(session, select(RawMessage.id).where(RawMessage.ticket_id.in_(tickets))))
    raw |= set(_ids(session, select(TicketEntry.raw_message_id).where(
        TicketEntry.id.in_(on_tickets | set(held.own_entries)), TicketEntry.raw_message_id.is_not(None))))
    raw |= {e.raw_message_id for e in mentioning if e.raw_message_id}
    held.raw_scan = scan.raw_with_them(session, scrubber, since)
    raw |= held.raw_scan.found
    raw |= scan.decided_about_them(session, scrubber)
    held.raw = sorted(copies.with_copies(session, raw))
    held.decisions = _ids(session, select(DecisionLog.id).where(DecisionLog.raw_message_id.in_(held.raw)))
    held.touched = sorted(({e.ticket_id for e in mentioning} | {e.ticket_id for e in own}
                           | set(_ids(session, select(RawMessage.ticket_id).where(RawMessage.id.in_(held.raw),
                                                                                  RawMessage.ticket_id.is_not(None)))))
                          - tickets)
    held.outbox = outgoing.outbox_about(session, scrubber, tickets, set(held.touched))
    attachments = session.execute(select(AttachmentRecord.id, AttachmentRecord.stored_path)
                                  .where(AttachmentRecord.raw_message_id.in_(held.raw))).all()
    sent_files = session.execute(select(OutboxAttachment.id, OutboxAttachment.stored_path)
                                 .where(OutboxAttachment.outbox_id.in_(held.outbox))).all()
    held.attachments, held.outbox_attachments = sorted(i for i, _ in attachments), sorted(i for i, _ in sent_files)
    held.files = unreferenced(session, {path for _, path in [*attachments, *sent_files] if path},
                              ignoring=held.attachments, ignoring_outbox=held.outbox_attachments)
    _registry(session, held)
    held.refs = sorted(set(session.scalars(select(MessageRef.message_id).where(or_(
        MessageRef.ticket_id.in_(tickets), MessageRef.message_id.in_(
            select(RawMessage.message_id).where(RawMessage.id.in_(held.raw), RawMessage.message_id.is_not(None))))))))
    held.time_entries = _ids(session, select(TimeEntry.id).where(TimeEntry.ticket_id.in_(tickets)))
    held.overrides = _ids(session, select(CoverageOverride.id).where(CoverageOverride.ticket_id.in_(tickets)))
    held.changes = _changes(session, scrubber, held, on_tickets, near)
    return held


def _registry(session: Session, held: Holdings) -> None:
    addresses = held.person.addresses
    held.devices = _ids(session, select(Device.id).where(func.lower(Device.user_email).in_(addresses)))
    held.contact_person_of = _ids(session, select(Customer.id).where(
        func.lower(Customer.contact_person).in_(addresses)))
    held.alias_holders = sorted(c.id for c in session.scalars(select(Contact)) if c.id != held.person.contact_id
                                and set(addresses) & {str(a).lower() for a in [*c.aliases, *c.staff_aliases]})


def _changes(session: Session, scrubber: Scrubber, held: Holdings, on_tickets: set[int],
             near: set[int]) -> list[catalog.Change]:
    """The scrub of every other table: strict everywhere; also the first name in what is the person's own or
    their customer's (`near` tickets, the customer's devices)."""
    def keys(values: Iterable[object]) -> set[tuple[object, ...]]:
        return {(value,) for value in values}

    decisions = held.decisions
    contacts = [*held.alias_holders, *([held.person.contact_id] if held.person.contact_id else [])]
    skip = {"tickets": keys(held.tickets), "ticket_entries": keys(on_tickets | set(held.own_entries)),
            "raw_messages": keys(held.raw), "decisions": keys(decisions), "attachments": keys(held.attachments),
            "outbox": keys(held.outbox), "outbox_attachments": keys(held.outbox_attachments),
            "contacts": keys(contacts), "message_refs": keys(held.refs)}
    forced = {"ticket_entries": keys(_ids(session, select(TicketEntry.id).where(
        TicketEntry.ticket_id.in_(held.touched))))}
    own = set(held.tickets) | near
    devices = held.devices + (_ids(session, select(Device.id).where(Device.customer_id == held.person.customer_id))
                              if held.person.customer_id else [])
    loose = {"time_entries": keys(_ids(session, select(TimeEntry.id).where(TimeEntry.ticket_id.in_(own)))),
             "coverage_overrides": keys(_ids(session, select(CoverageOverride.id).where(
                 CoverageOverride.ticket_id.in_(own)))),
             "audit_log": keys(_ids(session, select(AuditEntry.id).where(AuditEntry.ticket_id.in_(own)))),
             "response_events": keys(_ids(session, select(ResponseEvent.id).where(ResponseEvent.ticket_id.in_(own)))),
             "tickets": keys(near), "ticket_entries": keys(_ids(session, select(TicketEntry.id).where(
                 TicketEntry.ticket_id.in_(near)))), "devices": keys(devices)}
    return catalog.scrub_changes(session, scrubber, skip=skip, forced=forced, loose=loose)
