"""The coverage rule table (rules/coverage.toml): loading and start-up validation (facts and conditions: facts.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from inbox_worker.config import RateSettings
from inbox_worker.domain.rules_engine import Rule, build_rules, table_rows
from inbox_worker.domain.vocabulary import COVERAGE_STATUSES, NO_RULE_MATCHED, OVERRIDE_RULE, PACKAGES
from inbox_worker.errors import UserError
from inbox_worker.mail.decide.facts import PREDICATES, check_placeholders, condition_argument

RATE_KEYS = tuple(f.name for f in dataclasses.fields(RateSettings))
RESERVED_IDS = (OVERRIDE_RULE, NO_RULE_MATCHED)  # decided in code, never by a rule of the file


THEN_FIELDS: dict[str, type | tuple[type, ...]] = {
    "status": str, "rate": str, "package": str, "review": list, "reason": str}


def _check_then(label: str, rule: Rule) -> None:
    then = rule.then
    status = then.get("status")
    if status not in COVERAGE_STATUSES or not then.get("reason"):
        raise UserError(f"{label}: mangler then.status ({', '.join(COVERAGE_STATUSES)}) og en then.reason")
    if (status == "covered") == ("rate" in then):
        raise UserError(f"{label}: en covered-regel har ingen then.rate; billable- og undetermined-regler skal have en")
    if "rate" in then and then["rate"] not in RATE_KEYS:
        raise UserError(f"{label}: ukendt sats '{then['rate']}' (kendte: {', '.join(RATE_KEYS)})")
    if "package" in then and status != "covered":
        raise UserError(f"{label}: then.package er pakken, der dækker arbejdet: kun i covered-regler")
    if "package" in then and then["package"] not in PACKAGES:
        raise UserError(f"{label}: ukendt pakke '{then['package']}' (kendte: {', '.join(PACKAGES)})")
    if not all(isinstance(flag, str) and flag for flag in then.get("review", [])):
        raise UserError(f"{label}: then.review skal være en liste af ord")
    check_placeholders(label, str(then["reason"]))
    agreements = rule.when.get("agreement")
    if status == "covered" and (agreements is None or agreements & {"none", "unknown"}):
        raise UserError(f"{label}: en covered-regel skal nævne sine aftaler (agreement = [...]), "
                        "aldrig none eller unknown")


class CoverageRules:
    """The validated rule table of rules/coverage.toml and its settings."""

    def __init__(self, rules: list[Rule], visits_per_year: int) -> None:
        self.rules = rules
        self.visits_per_year = visits_per_year

    @classmethod
    def from_data(cls, data: Mapping[str, Any], path: str) -> CoverageRules:
        """The table of rules/coverage.toml, validated (read by mail/rulebook.py)."""
        rows = table_rows(data, "rule", path)
        for index, row in enumerate(rows, start=1):
            if isinstance(row.get("then"), dict) and "priority" in row["then"]:
                raise UserError(f"{path}: regel {index} ({row.get('id')}): then.priority afgøres ikke her: "
                                "prioriteter afgøres i priority.toml")
        rules = build_rules(rows, PREDICATES, THEN_FIELDS, path)
        checked = []
        for index, rule in enumerate(rules, start=1):
            label = f"{path}: regel {index} ({rule.id})"
            if rule.id in RESERVED_IDS:
                raise UserError(f"{label}: id'et '{rule.id}' er reserveret")
            rule = Rule(rule.id, {k: condition_argument(label, k, v) for k, v in rule.when.items()}, rule.then)
            _check_then(label, rule)
            checked.append(rule)
        return cls(checked, _visits_per_year(data, path))


def _visits_per_year(data: Mapping[str, Any], path: str) -> int:
    unknown = set(data) - {"rule", "visits_per_year"}
    if unknown:
        raise UserError(f"{path}: ukendt nøgle øverst i filen: '{sorted(unknown)[0]}' (kendte: visits_per_year, rule)")
    visits = data.get("visits_per_year", 2)
    if not isinstance(visits, int) or isinstance(visits, bool) or visits < 0:
        raise UserError(f"{path}: 'visits_per_year' skal være et helt tal, 0 eller mere")
    return visits
