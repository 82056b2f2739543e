"""How urgent a mail is: the first matching rule of rules/priority.toml decides. Pure.

The only place a priority is decided: an emergency signal, the agreement, server-package work are
facts (facts.py) that the table tests; what they mean for the priority, the review flags a priority
brings and which priorities raise an existing ticket are data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inbox_worker.domain.enums import Priority
from inbox_worker.domain.rules_engine import Rule, build_rules, evaluate
from inbox_worker.domain.types import Trace
from inbox_worker.domain.vocabulary import PRIORITIES
from inbox_worker.errors import UserError
from inbox_worker.mail.decide.facts import PREDICATES, MailFacts, check_placeholders, condition_argument, fill_reason

THEN_FIELDS: dict[str, type | tuple[type, ...]] = {"priority": str, "reason": str, "review": list}


@dataclass(frozen=True)
class PriorityDecision:
    priority: Priority
    review: tuple[str, ...]  # flags the priority brings (e.g. "emergency": staff look first)


class PriorityRules:
    """The validated rule table of rules/priority.toml: rules, the last one without conditions."""

    def __init__(self, rules: list[Rule], raises_ticket: frozenset[Priority]) -> None:
        self.rules = rules
        self.raises_ticket = raises_ticket  # a follow-up of one of these raises a less urgent ticket

    @classmethod
    def from_data(cls, data: Mapping[str, Any], path: str) -> PriorityRules:
        """The table of rules/priority.toml, validated (read by mail/rulebook.py)."""
        unknown = set(data) - {"rule", "raises_ticket"}
        if unknown:
            raise UserError(f"{path}: ukendt nøgle øverst i filen: '{sorted(unknown)[0]}' "
                            "(kendte: raises_ticket, rule)")
        rows = data.get("rule", [])
        if not isinstance(rows, list):
            raise UserError(f"{path}: 'rule' skal være en række tabeller ([[rule]])")
        rules = [_checked(f"{path}: regel {index} ({rule.id})", rule)
                 for index, rule in enumerate(build_rules(rows, PREDICATES, THEN_FIELDS, path), 1)]
        if not rules or rules[-1].when:
            raise UserError(f"{path}: den sidste regel må ingen betingelser have, så hver mail får en prioritet")
        if "raises_ticket" not in data:
            raise UserError(f"{path}: 'raises_ticket' mangler: hvilke prioriteter løfter en mindre akut sag")
        return cls(rules, _raises(path, data["raises_ticket"]))


def _checked(label: str, rule: Rule) -> Rule:
    if rule.then.get("priority") not in PRIORITIES or not rule.then.get("reason"):
        raise UserError(f"{label}: mangler then.priority ({', '.join(PRIORITIES)}) og en then.reason")
    if "priority" in rule.when:
        raise UserError(f"{label}: en prioritetsregel kan ikke teste den prioritet, den selv afgør")
    if not all(isinstance(flag, str) and flag for flag in rule.then.get("review", [])):
        raise UserError(f"{label}: then.review skal være en liste af ord")
    check_placeholders(label, str(rule.then["reason"]))
    return Rule(rule.id, {k: condition_argument(label, k, v) for k, v in rule.when.items()}, rule.then)


def _raises(path: str, value: object) -> frozenset[Priority]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v in PRIORITIES for v in value):
        raise UserError(f"{path}: 'raises_ticket' skal være en liste af prioriteter ({', '.join(PRIORITIES)})")
    return frozenset(Priority(v) for v in value)


def decide_priority(facts: MailFacts, rules: PriorityRules, trace: Trace) -> PriorityDecision:
    found = evaluate(rules.rules, facts, PREDICATES)
    assert found.rule is not None, "the last rule has no conditions (checked at load)"
    priority = Priority(str(found.rule.then["priority"]))
    trace.add("priority", found.rule.id, priority, fill_reason(str(found.rule.then["reason"]), facts),
              tried=list(found.tried))
    return PriorityDecision(priority, tuple(found.rule.then.get("review", ())))
