"""Covered or billable: the first matching rule of rules/coverage.toml decides; a staff override wins. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from inbox_worker.domain.enums import CoverageStatus
from inbox_worker.domain.rules_engine import evaluate
from inbox_worker.domain.types import Coverage, MailContext, ThreadDecision, Trace
from inbox_worker.domain.vocabulary import NO_RULE_MATCHED, RATE_OF_AGREEMENT
from inbox_worker.mail.decide.coverage_rules import CoverageRules
from inbox_worker.mail.decide.facts import PREDICATES, MailFacts, facts_summary, fill_reason


def decide_coverage(facts: MailFacts, rules: CoverageRules, rates: Mapping[str, int], trace: Trace,
                    override: Coverage | None = None) -> Coverage:
    if override is not None:
        trace.add("coverage", override.rule, override.status, override.reason, tried=[])
        return override
    found = evaluate(rules.rules, facts, PREDICATES)
    if found.rule is None:
        rate = rates[RATE_OF_AGREEMENT[facts.agreement]]
        coverage = Coverage(CoverageStatus.UNDETERMINED, rate, None, NO_RULE_MATCHED,
                            "Ingen dækningsregel passede; en medarbejder afgør dækningen",
                            review=("coverage-undetermined",))
    else:
        then = found.rule.then
        status, package = CoverageStatus(str(then["status"])), then.get("package")
        rate = 0 if status == CoverageStatus.COVERED else rates[str(then["rate"])]
        review = tuple(then.get("review", ())) + (("billable",) if status == CoverageStatus.BILLABLE else ())
        reason = fill_reason(str(then["reason"]), facts, package, rate)
        coverage = Coverage(status, rate, package, found.rule.id, reason, review=review)
    trace.add("coverage", coverage.rule, coverage.status, coverage.reason, tried=list(found.tried),
              package=coverage.package, rate_dkk=coverage.rate_dkk, facts=facts_summary(facts))
    return coverage


def ticket_override(thread: ThreadDecision, context: MailContext) -> Coverage | None:
    """Staff's override of the ticket this mail updates or reopens, if there is one."""
    state = context.ticket_state(thread)
    return state.coverage_override if state is not None else None
