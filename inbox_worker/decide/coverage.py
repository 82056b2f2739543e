"""Covered or billable. Pure.

Until the coverage rules land (rules/coverage.toml), the honest answer is `undetermined`, with a
reason staff can read; the decision object already carries every field.
"""

from __future__ import annotations

from ..workitem import Coverage, LinkDecision, Trace


def decide_coverage(link: LinkDecision, trace: Trace) -> Coverage:
    if link.customer is None:
        coverage = Coverage(
            "undetermined", 0, None, "unknown-customer",
            "Afsenderen er ikke knyttet til en kunde; dækning afgøres, når en medarbejder har koblet den")
    else:
        coverage = Coverage("undetermined", 0, None, "coverage-not-evaluated",
                            "Dækningsreglerne er endnu ikke slået til; en medarbejder afgør dækningen")
    trace.add("coverage", coverage.rule, coverage.status, coverage.reason)
    return coverage
