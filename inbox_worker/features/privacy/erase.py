"""`privacy erase`: a person (or a customer and all its people) erased, the invoice basis kept pseudonymised.

The plan is what the holdings found, counted (pure: `plan_of`); a dry run reads in a read-only transaction
and shows it. The erasure itself is one transaction: an erasure record per person (its id is the number of
the pseudonym, "Slettet person #7"), the holdings found again inside it, written, and an audit entry with
who, when, why and the counts. Attachment files no row names any more are removed after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.privacy import Scrubber, customer_pseudonym, person_pseudonym
from inbox_worker.errors import UserError
from inbox_worker.store.apply import lock_ticket_numbers
from inbox_worker.store.db import READ_ONLY
from inbox_worker.store.models import Customer, PrivacyErasure, Ticket
from inbox_worker.store.privacy import records
from inbox_worker.store.privacy.erase import erase_holdings
from inbox_worker.store.privacy.files import remove_files, unreferenced
from inbox_worker.store.privacy.holdings import Holdings, find_holdings
from inbox_worker.store.privacy.person import Person, customer_by_key, people_of_customer, person_of
from inbox_worker.store.privacy.scan import RawScan
from inbox_worker.store.search import TABLE as SEARCH_TABLE

# The kinds counted, in the order they are shown (features/privacy/text.py words them).
KINDS = ("tickets", "raw_mails", "decisions", "attachments", "files", "entries", "outbox", "references",
         "devices", "contact_person", "aliases", "time_entries", "coverage")


@dataclass
class ErasePlan:
    scope: str  # person | customer
    asked: str  # the address or customer key given
    pseudonyms: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    scrubbed: dict[str, int] = field(default_factory=dict)  # table -> rows where the pseudonym replaces the person
    contacts_deleted: int = 0
    contacts_kept: list[str] = field(default_factory=list)  # the packages a kept contact holds
    dry_run: bool = True
    files_removed: int = 0
    files_failed: list[str] = field(default_factory=list)  # files the disk would not let go (to remove by hand)


def plan_of(helds: list[Holdings], scope: str, asked: str, contacts: list[str] | None = None) -> ErasePlan:
    """Counts of what the holdings say goes (sets, so a ticket two people share counts once). Pure."""
    plan = ErasePlan(scope, asked, [h.identity.pseudonym for h in helds],
                     list(dict.fromkeys(a for h in helds for a in h.person.addresses)))
    sets: dict[str, set[object]] = {kind: set() for kind in KINDS}
    for held in helds:
        for kind, values in (("tickets", held.tickets), ("raw_mails", held.raw), ("files", held.files),
                             ("attachments", [("in", i) for i in held.attachments]
                              + [("out", i) for i in held.outbox_attachments]),
                             ("entries", held.own_entries), ("outbox", held.outbox), ("references", held.refs),
                             ("devices", held.devices), ("contact_person", held.contact_person_of),
                             ("aliases", held.alias_holders)):
            sets[kind] |= set(values)
        sets["decisions"] |= set(held.decisions)
        sets["time_entries"] |= set(held.time_entries)
        sets["coverage"] |= set(held.overrides)
    plan.counts = {kind: len(values) for kind, values in sets.items()}
    changed: dict[str, set[object]] = {}
    for held in helds:
        for change in held.changes:
            changed.setdefault(change.table, set()).add(change.key)
    plan.scrubbed = {table: len(keys) for table, keys in sorted(changed.items())}
    outcomes = contacts if contacts is not None else \
        ["kept" if h.person.packages else "deleted" for h in helds if h.person.contact_id]
    plan.contacts_deleted = outcomes.count("deleted")
    held_packages = {p for h in helds if h.person.contact_id for p in h.person.packages}
    plan.contacts_kept = sorted(held_packages) if "kept" in outcomes else []
    return plan


def _unknown(address: str) -> UserError:
    return UserError(f"der er intet om {address}: ingen kontakt eller alias med den adresse, og ingen mail fra "
                     "eller til den")


def _own_domains(settings: Settings) -> frozenset[str]:
    company = settings.company
    return frozenset({company.support_domain, settings.smtp.from_address.rpartition("@")[2].lower(),
                      *(d.lower() for d in company.staff_domains)})


@dataclass
class _Erased:
    held: Holdings
    contact: str  # deleted | kept | "" (no contact)
    record: PrivacyErasure


def _erase_one(session: Session, person: Person, by: str, now: datetime, scope: str = "person",
               customer_id: int | None = None, extra_tickets: list[int] | None = None,
               extra_names: tuple[str, ...] = (), since: RawScan | None = None) -> _Erased:
    record = records.open_record(session, by, "", scope, customer_id if customer_id else person.customer_id, now)
    pseudonym = (customer_pseudonym if scope == "customer" else person_pseudonym)(record.id)
    held = find_holdings(session, person, pseudonym, extra_tickets=extra_tickets or (), extra_names=extra_names,
                         since=since)
    if scope == "person" and held.is_empty():
        raise _unknown(person.asked)
    contact = erase_holdings(session, held, record.id)
    held.files = unreferenced(session, held.files)  # what no remaining row names: removed after the commit
    return _Erased(held, contact, record)


def _close(session: Session, erased: list[_Erased], reason: str) -> None:
    """Each record with its counts and the reason, scrubbed of every person erased with it; and its audit entry."""
    for each in erased:
        reason = Scrubber(each.held.identity).scrub(reason)
    for each in erased:
        each.record.reason = reason
        counts = plan_of([each.held], each.record.scope, each.held.person.asked,
                         [each.contact] if each.contact else []).counts
        records.close_record(session, each.record, {**counts, "contact": each.contact}, each.held.identity.pseudonym)


def _finish(settings: Settings, engine: Engine, helds: list[Holdings], plan: ErasePlan) -> ErasePlan:
    files = sorted({path for held in helds for path in held.files})
    plan.files_removed = remove_files(engine, settings.storage.attachments_dir, files, plan.files_failed)
    if engine.dialect.name == "sqlite":  # merge the full-text index's segments: the removed terms are gone for good
        with engine.begin() as connection:
            connection.exec_driver_sql(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('optimize')")
    return plan


def _begin_writing(session: Session) -> None:
    connection = session.connection()
    lock_ticket_numbers(connection)  # PostgreSQL: mail being written waits (SQLite: BEGIN IMMEDIATE did it)
    if connection.dialect.name == "sqlite":
        connection.execute(text("PRAGMA secure_delete = ON"))  # freed pages are zeroed, not left readable


def _person_plan(engine: Engine, address: str) -> tuple[ErasePlan, Holdings]:
    """What would go, read in a read-only transaction: the dry run, and the erasure's scan before its lock."""
    with Session(engine) as session:
        session.connection(execution_options=READ_ONLY)
        person = person_of(session, address)
        held = find_holdings(session, person, person_pseudonym(records.next_number(session)))
        if held.is_empty():
            raise _unknown(person.asked)
        return plan_of([held], "person", person.asked), held


def erase_person(settings: Settings, engine: Engine, address: str, reason: str, by: str, now: datetime, *,
                 dry_run: bool = False) -> ErasePlan:
    plan, before = _person_plan(engine, address)
    if dry_run:
        return plan
    with Session(engine) as session, session.begin():
        _begin_writing(session)
        erased = _erase_one(session, person_of(session, address), by, now, since=before.raw_scan)
        _close(session, [erased], reason)
        contacts = [erased.contact] if erased.contact else []
        plan = plan_of([erased.held], "person", erased.held.person.asked, contacts)
    plan.dry_run = False
    return _finish(settings, engine, [erased.held], plan)


def erase_customer(settings: Settings, engine: Engine, key: str, reason: str, by: str, now: datetime, *,
                   dry_run: bool = False) -> ErasePlan:
    """Every person of the customer, then its remaining tickets; the customer row stays for the invoice basis
    (key, agreement, packages), named "Slettet kunde #N", without domains or contact person."""
    with Session(engine) as session:
        session.connection(execution_options=READ_ONLY)
        plan, helds = _customer_plan(settings, session, key)
    if dry_run:
        return plan
    # The scans before the lock, per person (and the customer's own): one found for another identity is not used.
    scans = {(held.person.contact_id, held.person.asked): held.raw_scan for held in helds}
    with Session(engine) as session, session.begin():
        _begin_writing(session)
        customer = _customer(session, key)
        people = people_of_customer(session, customer, _own_domains(settings))
        erased = [_erase_one(session, person, by, now, customer_id=customer.id,
                             since=scans.get((person.contact_id, person.asked))) for person in people]
        erased.append(_erase_one(session, Person(customer.key, ()), by, now, "customer", customer.id,
                                 _remaining(session, customer), (customer.name,),
                                 since=scans.get((None, customer.key))))
        session.execute(update(Customer).where(Customer.id == customer.id).values(
            name=erased[-1].held.identity.pseudonym, domains=[], contact_person=None))
        _close(session, erased, reason)
        plan = plan_of([e.held for e in erased], "customer", customer.key, [e.contact for e in erased if e.contact])
    plan.dry_run = False
    return _finish(settings, engine, [e.held for e in erased], plan)


def _customer(session: Session, key: str) -> Customer:
    customer = customer_by_key(session, key)
    if customer is None:
        raise UserError(f"--customer: ingen kunde med nøglen {key!r} i registret")
    return customer


def _remaining(session: Session, customer: Customer) -> list[int]:
    return list(session.scalars(select(Ticket.id).where(Ticket.customer_id == customer.id, records.not_erased())))


def _customer_plan(settings: Settings, session: Session, key: str) -> tuple[ErasePlan, list[Holdings]]:
    customer = _customer(session, key)
    number = records.next_number(session)
    helds = []
    for person in people_of_customer(session, customer, _own_domains(settings)):
        helds.append(find_holdings(session, person, person_pseudonym(number)))
        number += 1
    helds.append(find_holdings(session, Person(customer.key, ()), customer_pseudonym(number),
                               extra_tickets=_remaining(session, customer), extra_names=(customer.name,)))
    return plan_of(helds, "customer", customer.key), helds
