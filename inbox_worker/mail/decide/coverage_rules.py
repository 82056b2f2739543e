"""The coverage rule table (rules/coverage.toml): the facts it tests, its conditions, and start-up validation."""

from __future__ import annotations

import dataclasses
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inbox_worker.config import RateSettings
from inbox_worker.domain.agreement_exceptions import CustomerExceptions
from inbox_worker.domain.rules_engine import Predicate, Rule, build_rules, load_table
from inbox_worker.domain.types import ContactInfo, CustomerInfo, DeviceInfo
from inbox_worker.domain.vocabulary import AGREEMENTS, CATEGORIES, COVERAGE_STATUSES, DEVICE_KINDS, PACKAGES, PRIORITIES
from inbox_worker.errors import UserError

RATE_KEYS = tuple(f.name for f in dataclasses.fields(RateSettings))
RESERVED_IDS = ("staff-override", "no-rule-matched")  # decided in code, never by a rule of the file
PLACEHOLDERS = ("customer", "contact", "device", "device_name", "device_kind", "category", "package", "rate",
                "agreement", "agreement_end", "visits_used", "visits_allowed", "visit_number", "year", "note")


@dataclass(frozen=True)
class CoverageFacts:
    """Everything the coverage rules may test, for one mail; built by decide/coverage.py."""

    customer: CustomerInfo | None
    agreement: str  # as of the mail's date: active, trial, terminated (in its notice period), none, unknown
    agreement_ended: bool  # the registry says active/trial/terminated, but agreement_end has passed
    contact: ContactInfo | None
    device: DeviceInfo | None  # the first linked device that belongs to this customer
    device_owner: ContactInfo | None
    category: str
    priority: str
    visits_used: int  # the customer's visit tickets earlier in the same calendar year
    visits_allowed: int
    exceptions: CustomerExceptions
    year: int


def _packages(info: ContactInfo | CustomerInfo | DeviceInfo | None) -> frozenset[str]:
    return frozenset(info.packages) if info is not None else frozenset()


def _device(test: Callable[[DeviceInfo, Any], bool]) -> Predicate:
    """A condition about the linked device: never true when no device of this customer is linked."""
    return lambda facts, arg: facts.device is not None and test(facts.device, arg)


PREDICATES: dict[str, Predicate] = {
    "known_customer": lambda f, flag: (f.customer is not None) == flag,
    "customer": lambda f, keys: f.customer is not None and f.customer.key in keys,
    "agreement": lambda f, values: f.agreement in values,
    "agreement_ended": lambda f, flag: f.agreement_ended == flag,
    "customer_has": lambda f, packages: bool(_packages(f.customer) & packages),
    "customer_lacks": lambda f, packages: not _packages(f.customer) & packages,
    "contact_known": lambda f, flag: (f.contact is not None) == flag,
    "contact_has": lambda f, packages: bool(_packages(f.contact) & packages),
    "contact_lacks": lambda f, packages: f.contact is not None and not _packages(f.contact) & packages,
    "device": lambda f, flag: (f.device is not None) == flag,
    "device_kind": _device(lambda d, kinds: d.kind in kinds),
    "device_primary": _device(lambda d, flag: d.primary == flag),
    "device_extra_network": _device(lambda d, flag: d.extra_network == flag),
    "device_has": _device(lambda d, packages: bool(set(d.packages) & packages)),
    "device_lacks": _device(lambda d, packages: not set(d.packages) & packages),
    "device_owner_has": lambda f, packages: f.device is not None and bool(_packages(f.device_owner) & packages),
    "device_owner_lacks": lambda f, packages: f.device is not None and not _packages(f.device_owner) & packages,
    "category": lambda f, values: f.category in values,
    "priority": lambda f, values: f.priority in values,
    "exception_covered_device": lambda f, flag: (
        f.device is not None and f.device.tag.upper() in f.exceptions.covered_devices) == flag,
    "exception_covered_category": lambda f, flag: (f.category in f.exceptions.covered_categories) == flag,
    "visit_included": lambda f, flag: (f.visits_used < f.visits_allowed) == flag,
}
# What each condition's argument may be: True for a flag, a vocabulary for words, None for any words.
_ARGUMENTS: dict[str, tuple[str, ...] | bool | None] = {  # bool: always True
    "known_customer": True, "agreement_ended": True, "contact_known": True, "device": True, "device_primary": True,
    "device_extra_network": True, "exception_covered_device": True, "exception_covered_category": True,
    "visit_included": True, "customer": None, "agreement": (*AGREEMENTS, "unknown"), "category": CATEGORIES,
    "priority": PRIORITIES, "device_kind": DEVICE_KINDS,
    **dict.fromkeys(("customer_has", "customer_lacks", "contact_has", "contact_lacks", "device_has",
                     "device_lacks", "device_owner_has", "device_owner_lacks"), tuple(PACKAGES)),
}
THEN_FIELDS: dict[str, type | tuple[type, ...]] = {
    "status": str, "rate": str, "package": str, "priority": str, "review": list, "reason": str}


def _argument(label: str, key: str, value: Any) -> Any:
    """A condition's argument checked against its vocabulary; words become a frozenset."""
    allowed = _ARGUMENTS[key]
    if allowed is True:
        if not isinstance(value, bool):
            raise UserError(f"{label}: condition '{key}' takes true or false")
        return value
    words = [value] if isinstance(value, str) else value
    if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
        raise UserError(f"{label}: condition '{key}' takes a word or a list of words")
    for word in words:
        if isinstance(allowed, tuple) and word not in allowed:
            raise UserError(f"{label}: condition '{key}': unknown value '{word}' (known: {', '.join(allowed)})")
    return frozenset(words)


def _check_then(label: str, rule: Rule) -> None:
    then = rule.then
    status = then.get("status")
    if status not in COVERAGE_STATUSES or not then.get("reason"):
        raise UserError(f"{label}: needs then.status ({', '.join(COVERAGE_STATUSES)}) and a then.reason")
    if (status == "covered") == ("rate" in then):
        raise UserError(f"{label}: a covered rule has no then.rate; billable and undetermined rules need one")
    if "rate" in then and then["rate"] not in RATE_KEYS:
        raise UserError(f"{label}: unknown rate '{then['rate']}' (known: {', '.join(RATE_KEYS)})")
    if "package" in then and status != "covered":
        raise UserError(f"{label}: then.package is the package that covers the work: covered rules only")
    if "package" in then and then["package"] not in PACKAGES:
        raise UserError(f"{label}: unknown package '{then['package']}' (known: {', '.join(PACKAGES)})")
    if "priority" in then and then["priority"] not in PRIORITIES:
        raise UserError(f"{label}: unknown priority '{then['priority']}' (known: {', '.join(PRIORITIES)})")
    if not all(isinstance(flag, str) and flag for flag in then.get("review", [])):
        raise UserError(f"{label}: then.review must be a list of words")
    for _, name, _, _ in string.Formatter().parse(str(then["reason"])):
        if name is not None and name not in PLACEHOLDERS:
            raise UserError(f"{label}: unknown placeholder '{{{name}}}' in reason (known: {', '.join(PLACEHOLDERS)})")
    agreements = rule.when.get("agreement")
    if status == "covered" and (agreements is None or agreements & {"none", "unknown"}):
        raise UserError(f"{label}: a covered rule must name its agreements (agreement = [...]), never none or unknown")


class CoverageRules:
    """The validated rule table of rules/coverage.toml and its settings."""

    def __init__(self, rules: list[Rule], visits_per_year: int) -> None:
        self.rules = rules
        self.visits_per_year = visits_per_year

    @classmethod
    def load(cls, rules_dir: Path) -> CoverageRules:
        path = rules_dir / "coverage.toml"
        rules = build_rules(load_table(path, "rule"), PREDICATES, THEN_FIELDS, str(path))
        checked = []
        for index, rule in enumerate(rules, start=1):
            label = f"{path}: rule {index} ({rule.id})"
            if rule.id in RESERVED_IDS:
                raise UserError(f"{label}: the id '{rule.id}' is reserved")
            rule = Rule(rule.id, {k: _argument(label, k, v) for k, v in rule.when.items()}, rule.then)
            _check_then(label, rule)
            checked.append(rule)
        return cls(checked, _visits_per_year(path))


def _visits_per_year(path: Path) -> int:
    with path.open("rb") as handle:
        data: Mapping[str, Any] = tomllib.load(handle)
    unknown = set(data) - {"rule", "visits_per_year"}
    if unknown:
        raise UserError(f"{path}: unknown top-level key '{sorted(unknown)[0]}' (known: visits_per_year, rule)")
    visits = data.get("visits_per_year", 2)
    if not isinstance(visits, int) or isinstance(visits, bool) or visits < 0:
        raise UserError(f"{path}: 'visits_per_year' must be a whole number, 0 or more")
    return visits
