"""Which response-time targets a ticket gets: the first matching rule of rules/response.toml. Pure.

The targets are data (first response and resolution in working minutes, the clock they run on); the
facts they are chosen by are the same as coverage's (the priority decided before, the agreement,
the devices), so a rule can say "server-package work" or "no agreement" in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.response_clock import ClockChange, ResponseTargets
from inbox_worker.domain.response_clock import start as start_clocks
from inbox_worker.domain.rules_engine import Rule, build_rules, evaluate, table_rows
from inbox_worker.domain.types import Trace
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.errors import UserError
from inbox_worker.mail.decide.facts import PREDICATES, MailFacts, check_placeholders, condition_argument, fill_reason

THEN_FIELDS: dict[str, type | tuple[type, ...]] = {
    "first_response_minutes": int, "resolution_minutes": int, "clock": str, "reason": str}
_CLOCKS = tuple(mode.value for mode in ClockMode)


@dataclass(frozen=True)
class ResponseRules:
    """The validated table of rules/response.toml; the last rule has no conditions."""

    rules: list[Rule]

    @classmethod
    def from_data(cls, data: Mapping[str, Any], path: str) -> ResponseRules:
        unknown = set(data) - {"rule"}
        if unknown:
            raise UserError(f"{path}: unknown top-level key '{sorted(unknown)[0]}' (known: rule)")
        rules = [_checked(f"{path}: rule {index} ({rule.id})", rule) for index, rule in
                 enumerate(build_rules(table_rows(data, "rule", path), PREDICATES, THEN_FIELDS, path), 1)]
        if not rules or rules[-1].when:
            raise UserError(f"{path}: the last rule must have no conditions, so that every ticket gets targets")
        return cls(rules)


def _checked(label: str, rule: Rule) -> Rule:
    then = rule.then
    for key in ("first_response_minutes", "resolution_minutes"):
        if key not in then or isinstance(then[key], bool) or then[key] <= 0:
            raise UserError(f"{label}: then.{key} must be a whole number of minutes above 0")
    if then["first_response_minutes"] > then["resolution_minutes"]:
        raise UserError(f"{label}: then.first_response_minutes cannot be longer than then.resolution_minutes")
    if then.get("clock") not in _CLOCKS:
        raise UserError(f"{label}: then.clock must be one of {', '.join(_CLOCKS)}")
    if not then.get("reason"):
        raise UserError(f"{label}: needs a then.reason (one Danish sentence for staff)")
    check_placeholders(label, str(then["reason"]))
    return Rule(rule.id, {k: condition_argument(label, k, v) for k, v in rule.when.items()}, then)


def decide_targets(facts: MailFacts, rules: ResponseRules) -> tuple[ResponseTargets, tuple[str, ...]]:
    """The targets for a ticket with these facts (`facts.priority` already decided), and the rules tried."""
    found = evaluate(rules.rules, facts, PREDICATES)
    assert found.rule is not None, "the last rule has no conditions (checked at load)"
    then = found.rule.then
    targets = ResponseTargets(int(then["first_response_minutes"]), int(then["resolution_minutes"]),
                              ClockMode(str(then["clock"])), found.rule.id, fill_reason(str(then["reason"]), facts))
    return targets, found.tried


def decide_response(facts: MailFacts, rules: ResponseRules, start: datetime, calendar: WorkCalendar,
                    trace: Trace) -> ClockChange:
    """A new ticket's clocks, started at `start` (when the mail arrived), traced with both due moments."""
    targets, tried = decide_targets(facts, rules)
    change = start_clocks(targets, start, calendar)
    clocks = change.clocks
    zone = ZoneInfo(calendar.hours.timezone)
    trace.add("response", targets.rule, f"{targets.first_response_minutes}/{targets.resolution_minutes}",
              f"{targets.reason}. Første svar senest {danish_moment(clocks.first_response_due, zone)}, "
              f"løst senest {danish_moment(clocks.resolution_due, zone)}",
              tried=list(tried), clock=targets.mode.value, first_response_due=clocks.first_response_due.isoformat(),
              resolution_due=clocks.resolution_due.isoformat())
    return change


_WEEKDAYS = ("man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn.")


def danish_moment(moment: datetime, zone: ZoneInfo) -> str:
    """'tor. 3.12. kl. 10:00' in MICO's time zone (how staff read a due moment)."""
    local = moment.astimezone(zone)
    return f"{_WEEKDAYS[local.weekday()]} {local.day}.{local.month}. kl. {local:%H:%M}"
