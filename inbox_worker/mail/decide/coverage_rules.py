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
        raise UserError(f"{label}: needs then.status ({', '.join(COVERAGE_STATUSES)}) and a then.reason")
    if (status == "covered") == ("rate" in then):
        raise UserError(f"{label}: a covered rule has no then.rate; billable and undetermined rules need one")
    if "rate" in then and then["rate"] not in RATE_KEYS:
        raise UserError(f"{label}: unknown rate '{then['rate']}' (known: {', '.join(RATE_KEYS)})")
    if "package" in then and status != "covered":
        raise UserError(f"{label}: then.package is the package that covers the work: covered rules only")
    if "package" in then and then["package"] not in PACKAGES:
        raise UserError(f"{label}: unknown package '{then['package']}' (known: {', '.join(PACKAGES)})")
    if not all(isinstance(flag, str) and flag for flag in then.get("review", [])):
        raise UserError(f"{label}: then.review must be a list of words")
    check_placeholders(label, str(then["reason"]))
    agreements = rule.when.get("agreement")
    if status == "covered" and (agreements is None or agreements & {"none", "unknown"}):
        raise UserError(f"{label}: a covered rule must name its agreements (agreement = [...]), never none or unknown")


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
                raise UserError(f"{path}: rule {index} ({row.get('id')}): then.priority is not a coverage outcome: "
                                "priorities are decided in priority.toml")
        rules = build_rules(rows, PREDICATES, THEN_FIELDS, path)
        checked = []
        for index, rule in enumerate(rules, start=1):
            label = f"{path}: rule {index} ({rule.id})"
            if rule.id in RESERVED_IDS:
                raise UserError(f"{label}: the id '{rule.id}' is reserved")
            rule = Rule(rule.id, {k: condition_argument(label, k, v) for k, v in rule.when.items()}, rule.then)
            _check_then(label, rule)
            checked.append(rule)
        return cls(checked, _visits_per_year(data, path))


def _visits_per_year(data: Mapping[str, Any], path: str) -> int:
    unknown = set(data) - {"rule", "visits_per_year"}
    if unknown:
        raise UserError(f"{path}: unknown top-level key '{sorted(unknown)[0]}' (known: visits_per_year, rule)")
    visits = data.get("visits_per_year", 2)
    if not isinstance(visits, int) or isinstance(visits, bool) or visits < 0:
        raise UserError(f"{path}: 'visits_per_year' must be a whole number, 0 or more")
    return visits
