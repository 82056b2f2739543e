"""How urgent a mail is: the first matching rule of rules/priority.toml decides. Pure.

The only place a priority is decided: an emergency signal, the agreement, server-package work
are facts (facts.py) that the table tests; what they mean for the priority is data.
"""

from __future__ import annotations

import string
from pathlib import Path

from inbox_worker.domain.enums import Priority
from inbox_worker.domain.rules_engine import Rule, build_rules, evaluate, load_table
from inbox_worker.domain.types import Trace
from inbox_worker.domain.vocabulary import PRIORITIES
from inbox_worker.errors import UserError
from inbox_worker.mail.decide.coverage_rules import PLACEHOLDERS
from inbox_worker.mail.decide.facts import PREDICATES, MailFacts, condition_argument, fill_reason

THEN_FIELDS: dict[str, type | tuple[type, ...]] = {"priority": str, "reason": str}
DEFAULT_RULE = "priority-default"  # no rule matched: normal (decided here, never by a rule of the file)


class PriorityRules:
    """The validated rule table of rules/priority.toml."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    @classmethod
    def load(cls, rules_dir: Path) -> PriorityRules:
        path = rules_dir / "priority.toml"
        checked = []
        for index, rule in enumerate(build_rules(load_table(path, "rule"), PREDICATES, THEN_FIELDS, str(path)), 1):
            label = f"{path}: rule {index} ({rule.id})"
            if rule.id == DEFAULT_RULE:
                raise UserError(f"{label}: the id '{rule.id}' is reserved")
            if rule.then.get("priority") not in PRIORITIES or not rule.then.get("reason"):
                raise UserError(f"{label}: needs then.priority ({', '.join(PRIORITIES)}) and a then.reason")
            if "priority" in rule.when:
                raise UserError(f"{label}: a priority rule cannot test the priority it decides")
            for _, name, _, _ in string.Formatter().parse(str(rule.then["reason"])):
                if name is not None and name not in PLACEHOLDERS:
                    raise UserError(f"{label}: unknown placeholder '{{{name}}}' in reason "
                                    f"(known: {', '.join(PLACEHOLDERS)})")
            checked.append(Rule(rule.id, {k: condition_argument(label, k, v) for k, v in rule.when.items()},
                                rule.then))
        return cls(checked)


def decide_priority(facts: MailFacts, rules: PriorityRules, trace: Trace) -> Priority:
    found = evaluate(rules.rules, facts, PREDICATES)
    if found.rule is None:
        priority, rule, reason = Priority.NORMAL, DEFAULT_RULE, "Ingen prioritetsregel passede: almindelig prioritet"
    else:
        priority, rule = Priority(str(found.rule.then["priority"])), found.rule.id
        reason = fill_reason(str(found.rule.then["reason"]), facts)
    trace.add("priority", rule, priority, reason, tried=list(found.tried))
    return priority
