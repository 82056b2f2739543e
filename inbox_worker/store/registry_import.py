"""Import a registry TOML file (customers, contacts, devices) into the database: validate all, then upsert.

Every row is checked before anything is written, so a bad file changes nothing; the error names
the file, the table, the row's index and its key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.domain.agreement_exceptions import exception_error
from inbox_worker.domain.vocabulary import AGREEMENTS, DEVICE_KINDS, LANGUAGES, PACKAGES
from inbox_worker.errors import UserError
from inbox_worker.store.models import Contact, Customer, Device
from inbox_worker.tomlfile import read_toml

WEEKLY_SUMMARY = ("activity", "always", "never")  # a week with tickets or time / every week / none
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")

_FIELDS = {
    "customer": {"key", "name", "domains", "agreement", "agreement_end", "packages", "contact_person",
                 "account_manager", "language", "exceptions", "weekly_summary"},
    "contact": {"customer", "email", "aliases", "name", "packages", "language", "phone"},
    "device": {"customer", "tag", "kind", "name", "hostname", "serial", "model", "user", "primary", "packages",
               "extra_network"},
}


@dataclass(frozen=True)
class ImportSummary:
    customers: tuple[int, int]  # (created, updated)
    contacts: tuple[int, int]
    devices: tuple[int, int]


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
    """Update the row with this key in place, or add it; True when it was created."""
    existing = session.scalar(select(model).where(getattr(model, key_column) == key))
    if existing is None:
        session.add(model(**values))
        return True
    for name, value in values.items():
        setattr(existing, name, value)
    return False


def import_registry(session: Session, path: Path) -> ImportSummary:
    data = _read(path)
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise UserError(f"{path}: ukendt tabel '{sorted(unknown)[0]}' (kendte: customer, contact, device)")
    customers = _customers(data, str(path))
    known_keys = {c["key"] for c in customers} | set(session.scalars(select(Customer.key)))
    contacts = _contacts(data, str(path), known_keys)
    devices = _devices(data, str(path), known_keys)
    counts = {"customer": [0, 0], "contact": [0, 0], "device": [0, 0]}
    for row in customers:
        counts["customer"][0 if _upsert(session, Customer, "key", row["key"], row) else 1] += 1
    session.flush()
    ids = dict(session.execute(select(Customer.key, Customer.id)).all())
    for row in contacts:
        values = {k: v for k, v in row.items() if k != "customer"} | {"customer_id": ids[row["customer"]]}
        counts["contact"][0 if _upsert(session, Contact, "email", row["email"], values) else 1] += 1
    for row in devices:
        values = {k: v for k, v in row.items() if k != "customer"} | {"customer_id": ids[row["customer"]]}
        counts["device"][0 if _upsert(session, Device, "tag", row["tag"], values) else 1] += 1
    return ImportSummary(*(tuple(counts[t]) for t in ("customer", "contact", "device")))  # type: ignore[arg-type]
