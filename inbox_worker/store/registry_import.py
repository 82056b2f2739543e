"""Import a registry TOML file (customers, contacts, devices) into the database: validate all, then upsert.

Every row is checked before anything is written, so a bad file changes nothing; the error names
the file, the table, the row's index and its key.

The file is the whole registry, but not the only writer: staff create customers, contacts and aliases
in the web UI (their `origin` is "staff", and a contact's `staff_aliases` name the aliases staff added).
A re-import updates what the file lists (a staff-made row the file now lists becomes the file's), keeps
every staff-made row and alias, and reports the file-made rows the file no longer lists; only `prune`
removes them, and never one whose removal would change what a ticket says (see `_unlisted`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.domain.agreement_exceptions import exception_error
from inbox_worker.domain.labels import count
from inbox_worker.domain.vocabulary import AGREEMENTS, DEVICE_KINDS, LANGUAGES, PACKAGES
from inbox_worker.errors import UserError
from inbox_worker.store.models import Contact, Customer, Device, Ticket, TicketDevice
from inbox_worker.tomlfile import read_toml

REGISTRY, STAFF = "registry", "staff"  # who made a row (its `origin`): the registry file, or staff in the web UI
REPORTED, PRUNED, KEPT = "reported", "pruned", "kept"  # what became of a row the file no longer lists
WEEKLY_SUMMARY = ("activity", "always", "never")  # a week with tickets or time / every week / none
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")

_FIELDS = {
    "customer": {"key", "name", "domains", "agreement", "agreement_end", "packages", "contact_person",
                 "account_manager", "language", "exceptions", "weekly_summary"},
    "contact": {"customer", "email", "aliases", "name", "packages", "language", "phone"},
    "device": {"customer", "tag", "kind", "name", "hostname", "serial", "model", "user", "primary", "packages",
               "extra_network"},
}


class _Checker:
    def __init__(self, filename: str, table: str, index: int, row: Any) -> None:
        self.filename, self.table, self.index = filename, table, index
        if not isinstance(row, dict):
            self.fail("skal være en tabel")
        self.row: dict[str, Any] = row
        label = row.get("key") or row.get("email") or row.get("tag")
        self.label = f" ({label})" if isinstance(label, str) else ""
        unknown = set(row) - _FIELDS[table]
        if unknown:
            self.fail(f"ukendt felt '{sorted(unknown)[0]}'")

    def fail(self, message: str) -> None:
        raise UserError(f"{self.filename}: [[{self.table}]] #{self.index}{getattr(self, 'label', '')}: {message}")

    def text(self, name: str, required: bool = True) -> str | None:
        value = self.row.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"'{name}' skal være en tekst, der ikke er tom")
        return str(value).strip()

    def email(self, name: str, required: bool = True) -> str | None:
        value = self.text(name, required)
        if value is not None and not _EMAIL.match(value):
            self.fail(f"'{name}' er ikke en gyldig mailadresse: {value!r}")
        return value.lower() if value else None

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.row.get(name, default)
        if value not in allowed:
            self.fail(f"'{name}' skal være en af {', '.join(allowed)}, ikke {value!r}")
        return str(value)

    def strings(self, name: str) -> list[str]:
        value = self.row.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(f"'{name}' skal være en liste af tekster")
        return [v.strip() for v in value]

    def packages(self) -> list[str]:
        packages = self.strings("packages")
        for package in packages:
            if package not in PACKAGES:
                self.fail(f"ukendt pakke '{package}' (kendte: {', '.join(PACKAGES)})")
        return packages


def _read(path: Path) -> dict[str, Any]:
    return read_toml(path, "registerfilen")


def _customers(data: dict[str, Any], filename: str) -> list[dict[str, Any]]:
    rows, seen = [], set()
    for index, raw in enumerate(data.get("customer", []), start=1):
        check = _Checker(filename, "customer", index, raw)
        key = check.text("key")
        if key in seen:
            check.fail(f"kundenøglen '{key}' står der to gange")
        seen.add(key)
        end = raw.get("agreement_end")
        if end is not None and not isinstance(end, date):
            check.fail("'agreement_end' skal være en dato (ÅÅÅÅ-MM-DD, uden anførselstegn)")
        exceptions = raw.get("exceptions", [])
        if not isinstance(exceptions, list):
            check.fail("'exceptions' skal være en liste af tabeller, fx [{ covered_device = \"TAG\" }]")
        for number, exception in enumerate(exceptions, start=1):
            problem = exception_error(exception)
            if problem:
                check.fail(f"exceptions #{number}: {problem}")
        rows.append({
            "key": key, "name": check.text("name"), "domains": [d.lower() for d in check.strings("domains")],
            "agreement": check.choice("agreement", AGREEMENTS, ""), "agreement_end": end,
            "packages": check.packages(), "contact_person": check.email("contact_person", required=False),
            "account_manager": check.text("account_manager", required=False),
            "language": check.choice("language", LANGUAGES, "da"), "exceptions": exceptions,
            "weekly_summary": check.choice("weekly_summary", WEEKLY_SUMMARY, "activity"),
        })
    return rows


def _owned_rows(data: dict[str, Any], filename: str, table: str,
                customer_keys: set[str]) -> Iterator[tuple[_Checker, str]]:
    """Each row of a table that belongs to a customer, with its checker and the (known) customer key."""
    for index, raw in enumerate(data.get(table, []), start=1):
        check = _Checker(filename, table, index, raw)
        customer = str(check.text("customer"))
        if customer not in customer_keys:
            check.fail(f"ukendt kundenøgle '{customer}'")
        yield check, customer


def _contacts(data: dict[str, Any], filename: str, customer_keys: set[str]) -> list[dict[str, Any]]:
    rows, seen = [], set()
    for check, customer in _owned_rows(data, filename, "contact", customer_keys):
        email = check.email("email")
        aliases = [a.lower() for a in check.strings("aliases")]
        for address in [email, *aliases]:
            if address in seen:
                check.fail(f"adressen {address} bruges allerede af en anden kontakt")
            if not _EMAIL.match(str(address)):
                check.fail(f"et alias er ikke en gyldig mailadresse: {address!r}")
            seen.add(address)
        rows.append({
            "customer": customer, "email": email, "aliases": aliases, "name": check.text("name"),
            "packages": check.packages(), "language": check.choice("language", LANGUAGES, "da"),
            "phone": check.text("phone", required=False),
        })
    return rows


def _devices(data: dict[str, Any], filename: str, customer_keys: set[str]) -> list[dict[str, Any]]:
    rows, seen = [], set()
    for check, customer in _owned_rows(data, filename, "device", customer_keys):
        raw = check.row
        tag = check.text("tag")
        if str(tag).upper() in seen:
            check.fail(f"enhedsmærket '{tag}' står der to gange")
        seen.add(str(tag).upper())
        primary, extra_network = raw.get("primary", False), raw.get("extra_network", False)
        if not isinstance(primary, bool) or not isinstance(extra_network, bool):
            check.fail("'primary' og 'extra_network' skal være true eller false")
        rows.append({
            "customer": customer, "tag": tag, "kind": check.choice("kind", DEVICE_KINDS, ""),
            "name": check.text("name", required=False) or "", "hostname": check.text("hostname", required=False),
            "serial": check.text("serial", required=False), "model": check.text("model", required=False),
            "user_email": check.email("user", required=False), "primary": primary, "packages": check.packages(),
            "extra_network": extra_network,
        })
    return rows


def _upsert(session: Session, model: Any, key_column: str, key: Any, values: dict[str, Any]) -> bool:
    """Update the row with this key in place, or add it; True when it was created.

    The file now lists the row, so it is the file's from here on, even if staff made it.
    """
    existing = session.scalar(select(model).where(getattr(model, key_column) == key))
    if existing is None:
        session.add(model(**values, origin=REGISTRY))
        return True
    for name, value in values.items():
        setattr(existing, name, value)
    existing.origin = REGISTRY
    return False


@dataclass(frozen=True)
class Unlisted:
    """A row the registry file made that the file no longer lists; what a prune did with it, and why."""

    kind: str  # customer | contact | device
    key: str  # the customer's key, the contact's email, the device's tag
    tickets: int  # how many tickets name it (customer, contact address, linked device)
    action: str = "reported"  # reported | pruned | kept
    reason: str = ""  # why a prune kept it (Danish)


@dataclass(frozen=True)
class ImportSummary:
    customers: tuple[int, int]  # (created, updated)
    contacts: tuple[int, int]
    devices: tuple[int, int]
    unlisted: tuple[Unlisted, ...] = ()  # file-made rows the file no longer lists (removed only with prune)
    staff_kept: dict[str, int] = field(default_factory=dict)  # staff-made rows and aliases left as they were


def _merge_staff_aliases(session: Session, rows: list[dict[str, Any]]) -> int:
    """Give each file contact its file aliases plus those staff added that no file row claims.

    An address the file gives to someone (as email or alias) is the file's from now on: a staff alias of it,
    on whichever contact, makes way. Returns how many staff-made aliases stay.
    """
    claimed = {row["email"] for row in rows} | {alias for row in rows for alias in row["aliases"]}
    by_email = {row["email"]: row for row in rows}
    kept = 0
    for contact in session.scalars(select(Contact)):
        staff_made = list(contact.staff_aliases or [])
        staying = [a for a in staff_made if a not in claimed]
        kept += len(staying)
        row = by_email.get(contact.email)
        if row is not None:  # the upsert writes both lists
            row["aliases"] = [*row["aliases"], *(a for a in staying if a not in row["aliases"])]
            row["staff_aliases"] = staying
        elif staying != staff_made:
            gone = set(staff_made) - set(staying)
            contact.aliases = [a for a in contact.aliases if a not in gone]
            contact.staff_aliases = staying
    session.flush()  # an alias moving to another contact leaves this one first
    return kept


def _count(session: Session, statement: Any) -> int:
    return int(session.scalar(statement) or 0)


def _unlisted(session: Session, listed: dict[str, set[str]], prune: bool) -> list[Unlisted]:
    """The file-made rows the file no longer lists; with `prune`, removed where that loses no ticket's facts.

    Staff-made rows are never candidates. A contact goes even when tickets name it (a ticket keeps the
    address as text, so it reads and works as before); a device linked to a ticket, and a customer that
    tickets belong to or that still has contacts or devices (staff-made ones, say), are kept and say why.
    """
    found: list[Unlisted] = []
    for device in session.scalars(select(Device).where(Device.origin == REGISTRY).order_by(Device.tag)):
        if device.tag in listed["device"]:
            continue
        tickets = _count(session, select(func.count()).select_from(TicketDevice)
                         .where(TicketDevice.device_id == device.id))
        if prune and tickets:
            found.append(Unlisted("device", device.tag, tickets, KEPT,
                                  f"{count(tickets, 'sag', 'sager')} er koblet til enheden"))
            continue
        if prune:
            session.delete(device)
        found.append(Unlisted("device", device.tag, tickets, PRUNED if prune else REPORTED))
    for contact in session.scalars(select(Contact).where(Contact.origin == REGISTRY).order_by(Contact.email)):
        if contact.email in listed["contact"]:
            continue
        tickets = _count(session, select(func.count(Ticket.id)).where(Ticket.contact_email == contact.email))
        if prune:
            session.delete(contact)
        found.append(Unlisted("contact", contact.email, tickets, PRUNED if prune else REPORTED,
                              f"{count(tickets, 'sag', 'sager')} beholder adressen" if prune and tickets else ""))
    session.flush()
    for customer in session.scalars(select(Customer).where(Customer.origin == REGISTRY).order_by(Customer.key)):
        if customer.key in listed["customer"]:
            continue
        tickets = _count(session, select(func.count(Ticket.id)).where(Ticket.customer_id == customer.id))
        rest = (_count(session, select(func.count(Contact.id)).where(Contact.customer_id == customer.id))
                + _count(session, select(func.count(Device.id)).where(Device.customer_id == customer.id)))
        if prune and (tickets or rest):
            why = (f"{count(tickets, 'sag', 'sager')} hører til kunden" if tickets
                   else "kunden har stadig kontakter eller enheder, der ikke fjernes")
            found.append(Unlisted("customer", customer.key, tickets, KEPT, why))
            continue
        if prune:
            session.delete(customer)
        found.append(Unlisted("customer", customer.key, tickets, PRUNED if prune else REPORTED))
    session.flush()
    return found


def import_registry(session: Session, path: Path, prune: bool = False) -> ImportSummary:
    """Upsert what the file lists; keep what staff made; report (and with `prune` remove) what the file dropped."""
    data = _read(path)
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise UserError(f"{path}: ukendt tabel '{sorted(unknown)[0]}' (kendte: customer, contact, device)")
    customers = _customers(data, str(path))
    known_keys = {c["key"] for c in customers} | set(session.scalars(select(Customer.key)))
    contacts = _contacts(data, str(path), known_keys)
    devices = _devices(data, str(path), known_keys)
    staff_aliases = _merge_staff_aliases(session, contacts)
    counts = {"customer": [0, 0], "contact": [0, 0], "device": [0, 0]}
    for row in customers:
        counts["customer"][0 if _upsert(session, Customer, "key", row["key"], row) else 1] += 1
    session.flush()
    ids = dict(session.execute(select(Customer.key, Customer.id)).all())
    for row in contacts:
        values = {k: v for k, v in row.items() if k != "customer"} | {"customer_id": ids[row["customer"]]}
        values.setdefault("staff_aliases", [])
        counts["contact"][0 if _upsert(session, Contact, "email", row["email"], values) else 1] += 1
    for row in devices:
        values = {k: v for k, v in row.items() if k != "customer"} | {"customer_id": ids[row["customer"]]}
        counts["device"][0 if _upsert(session, Device, "tag", row["tag"], values) else 1] += 1
    session.flush()
    listed = {"customer": {c["key"] for c in customers}, "contact": {c["email"] for c in contacts},
              "device": {d["tag"] for d in devices}}
    unlisted = _unlisted(session, listed, prune)
    staff_kept = {kind: session.scalar(select(func.count()).select_from(model).where(model.origin == STAFF)) or 0
                  for kind, model in (("customers", Customer), ("contacts", Contact), ("devices", Device))}
    staff_kept["aliases"] = staff_aliases
    created_updated = {table: (new, updated) for table, (new, updated) in counts.items()}
    return ImportSummary(created_updated["customer"], created_updated["contact"], created_updated["device"],
                         unlisted=tuple(unlisted), staff_kept=staff_kept)


_KIND = {"customer": "kunde", "contact": "kontakt", "device": "enhed"}


def unlisted_lines(summary: ImportSummary, pruned: bool) -> list[str]:
    """What became of the rows the file no longer lists, and what staff made, in Danish lines for the CLI."""
    lines = []
    for row in summary.unlisted:
        named = f"{_KIND[row.kind]} {row.key}"
        tickets = f" ({count(row.tickets, 'sag', 'sager')} henviser til den)" if row.tickets else ""
        if row.action == PRUNED:
            lines.append(f"Fjernet: {named}" + (f" ({row.reason})" if row.reason else ""))
        elif row.action == KEPT:
            lines.append(f"Beholdt: {named} ({row.reason})")
        else:
            lines.append(f"Ikke længere i filen: {named}{tickets}")
    if summary.unlisted and not pruned and any(row.action == REPORTED for row in summary.unlisted):
        lines.append("Intet er fjernet; kør igen med --prune for at fjerne det, filen ikke længere nævner.")
    staff = summary.staff_kept
    made = [count(staff.get(kind, 0), one, several) for kind, one, several in
            (("customers", "kunde", "kunder"), ("contacts", "kontakt", "kontakter"), ("devices", "enhed", "enheder"),
             ("aliases", "alias", "aliasser")) if staff.get(kind)]
    if made:
        lines.append(f"Oprettet i webfladen og beholdt: {', '.join(made)}")
    return lines


def summary_json(summary: ImportSummary) -> dict[str, Any]:
    """The summary for `--json` (English keys, as every JSON of the product)."""
    return {
        **{table: {"created": new, "updated": updated} for table, (new, updated) in
           (("customers", summary.customers), ("contacts", summary.contacts), ("devices", summary.devices))},
        "unlisted": [{"kind": row.kind, "key": row.key, "tickets": row.tickets, "action": row.action,
                      "reason": row.reason or None} for row in summary.unlisted],
        "staff_kept": {kind: summary.staff_kept.get(kind, 0)
                       for kind in ("customers", "contacts", "devices", "aliases")},
    }
