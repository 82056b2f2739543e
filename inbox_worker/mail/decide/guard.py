"""Is this mail an ordinary request, an automatic mail to ignore, or one to quarantine? (rules/guard.toml)"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inbox_worker.domain.addresses import is_own
from inbox_worker.domain.enums import GuardAction
from inbox_worker.domain.rules_engine import Predicate, Rule, build_rules, evaluate, table_rows
from inbox_worker.domain.types import GuardDecision, ParsedMail, Trace
from inbox_worker.errors import UserError

ACTIONS = ("ignore", "quarantine")


@dataclass(frozen=True)
class GuardFacts:
    mail: ParsedMail
    own_addresses: frozenset[str]


_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+")


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _values(facts: GuardFacts, name: Any) -> tuple[str, ...]:
    return facts.mail.headers.get(str(name).lower(), ())


def _header_matches(facts: GuardFacts, spec: Any) -> bool:
    pattern = _regex(str(spec["pattern"]))
    return any(pattern.search(value) for value in _values(facts, spec["name"]))


PREDICATES: dict[str, Predicate] = {
    "header": lambda facts, name: bool(_values(facts, name)),
    "header_matches": _header_matches,
    "defect_any": lambda facts, names: bool(set(names) & set(facts.mail.defects)),
    "missing": lambda facts, what: what == "from" and not facts.mail.from_address,
    "from_is_own": lambda facts, flag: is_own(facts.mail.from_address, facts.own_addresses) == bool(flag),
    "header_names_own": lambda facts, name: any(is_own(address, facts.own_addresses) for value in _values(facts, name)
                                                for address in _ADDRESS.findall(value)),
    "from_matches": lambda facts, pattern: bool(_regex(str(pattern)).search(facts.mail.from_address or "")),
    "content_type": lambda facts, value: facts.mail.content_type == str(value).lower(),
    "subject_matches": lambda facts, pattern: bool(_regex(str(pattern)).search(facts.mail.subject or "")),
}
THEN_FIELDS: dict[str, type | tuple[type, ...]] = {"action": str, "reason": str}


def _matched_value(rule: Rule, facts: GuardFacts) -> str:
    """The header value or address that made the rule fire, for the reason text."""
    when = rule.when
    name = when.get("header") or when.get("header_names_own") or (when.get("header_matches") or {}).get("name")
    if name:
        return _values(facts, name)[0].strip()[:120]
    if "subject_matches" in when:
        return (facts.mail.subject or "")[:120]
    return facts.mail.from_address or "" if "from_matches" in when else ""


class GuardRules:
    """The validated rule table of rules/guard.toml."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    @classmethod
    def from_data(cls, data: Mapping[str, Any], path: str) -> GuardRules:
        """The table of rules/guard.toml, validated (read by mail/rulebook.py)."""
        rules = build_rules(table_rows(data, "rule", path), PREDICATES, THEN_FIELDS, path)
        for rule in rules:
            if rule.then.get("action") not in ACTIONS or not rule.then.get("reason"):
                raise UserError(f"{path}: regel {rule.id}: mangler then.action ignore|quarantine og en then.reason")
            spec = rule.when.get("header_matches")
            if spec is not None and not (isinstance(spec, dict) and {"name", "pattern"} <= set(spec)):
                raise UserError(f"{path}: regel {rule.id}: header_matches skal have name og pattern")
        return cls(rules)


def decide_guard(mail: ParsedMail, own_addresses: frozenset[str], rules: GuardRules, trace: Trace) -> GuardDecision:
    facts = GuardFacts(mail, own_addresses)
    found = evaluate(rules.rules, facts, PREDICATES)
    if found.rule is None:
        trace.add("guard", "ordinary-mail", "accept", "Ingen regel for automatiske eller ødelagte mails ramte",
                  tried=list(found.tried))
        return GuardDecision(action=GuardAction.ACCEPT, rule="ordinary-mail", reason="")
    reason = str(found.rule.then["reason"]).replace("{value}", _matched_value(found.rule, facts))
    action = str(found.rule.then["action"])
    trace.add("guard", found.rule.id, action, reason, tried=list(found.tried))
    return GuardDecision(action=GuardAction(action), rule=found.rule.id, reason=reason)
