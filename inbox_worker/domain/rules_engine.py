"""Ordered rule tables (from rules/*.toml, read by mail/rulebook.py): validation and first-match evaluation.

A rule is `{id, when = {predicate = argument, ...}, then = {...}}`: all predicates in `when` must
hold. The predicates are named functions supplied by the stage that owns the table, so a rules
file can only use conditions that stage knows, and a typo is an error at start-up, not a silent miss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inbox_worker.errors import UserError

Predicate = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Rule:
    id: str
    when: Mapping[str, Any]
    then: Mapping[str, Any]


@dataclass(frozen=True)
class Evaluation:
    rule: Rule | None
    tried: tuple[str, ...] = field(default_factory=tuple)


def table_rows(data: Mapping[str, Any], table: str, where: str) -> list[dict[str, Any]]:
    """The raw rows of `[[table]]` in a rules file's data, or a one-line UserError naming the file."""
    rows = data.get(table, [])
    if not isinstance(rows, list):
        raise UserError(f"{where}: '{table}' skal være en række tabeller ([[{table}]])")
    return rows


def build_rules(
    rows: list[dict[str, Any]],
    predicates: Mapping[str, Predicate],
    allowed_then: Mapping[str, type | tuple[type, ...]],
    where: str,
) -> list[Rule]:
    """Validate rows into rules: known predicates, known outcome keys of the right type, unique ids."""
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, row in enumerate(rows, start=1):
        rule_id = row.get("id")
        label = f"{where}: regel {index}" + (f" ({rule_id})" if rule_id else "")
        if not isinstance(rule_id, str) or not rule_id:
            raise UserError(f"{label}: hver regel skal have et 'id'")
        if rule_id in seen:
            raise UserError(f"{label}: regel-id'et '{rule_id}' står der to gange")
        seen.add(rule_id)
        unknown = set(row) - {"id", "when", "then", "description"}
        if unknown:
            raise UserError(f"{label}: ukendt felt '{sorted(unknown)[0]}'")
        when = row.get("when", {})
        then = row.get("then", {})
        if not isinstance(when, dict) or not isinstance(then, dict):
            raise UserError(f"{label}: 'when' og 'then' skal være tabeller")
        for key in when:
            if key not in predicates:
                raise UserError(f"{label}: ukendt betingelse '{key}' (kendte: {', '.join(sorted(predicates))})")
        for key, value in then.items():
            if key not in allowed_then:
                raise UserError(f"{label}: ukendt felt i then: '{key}'")
            if not isinstance(value, allowed_then[key]):
                raise UserError(f"{label}: feltet then.{key} har den forkerte type")
        rules.append(Rule(rule_id, when, then))
    return rules


def evaluate(rules: list[Rule], facts: Any, predicates: Mapping[str, Predicate]) -> Evaluation:
    """The first rule whose conditions all hold, and the ids of every rule tried before it."""
    tried: list[str] = []
    for rule in rules:
        tried.append(rule.id)
        for key, argument in rule.when.items():  # in order, the first that fails ends the rule (a loop: no generator)
            if not predicates[key](facts, argument):
                break
        else:
            return Evaluation(rule, tuple(tried))
    return Evaluation(None, tuple(tried))


def free_mail_domains(data: Mapping[str, Any], where: str) -> frozenset[str]:
    domains = data.get("domains")
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise UserError(f"{where}: 'domains' skal være en liste af domænenavne")
    return frozenset(d.strip().lower() for d in domains)
