"""Covered or billable: the first matching rule of rules/coverage.toml decides; a staff override wins. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from inbox_worker.domain.agreement import effective_agreement
from inbox_worker.domain.agreement_exceptions import CustomerExceptions
from inbox_worker.domain.rules_engine import evaluate
from inbox_worker.domain.types import (
    Classification,
    Coverage,
    LinkDecision,
    RegistrySnapshot,
    ThreadAction,
    Trace,
    WorkItem,
)
from inbox_worker.mail.decide.coverage_rules import PREDICATES, CoverageFacts, CoverageRules

FALLBACK_RATE = {"trial": "trial", "none": "none", "unknown": "none"}  # else: the agreement rate


def coverage_facts(link: LinkDecision, classification: Classification, registry: RegistrySnapshot, on: date,
                   visits_this_year: Mapping[str, int], rules: CoverageRules) -> CoverageFacts:
    """The facts of one mail: only devices of the linked customer count, whatever the link found."""
    customer = registry.customers.get(link.customer) if link.customer else None
    contact = registry.contacts_by_address.get(link.contact or "")
    if customer is None or (contact is not None and contact.customer != customer.key):
        contact = None
    own = registry.devices.get(customer.key, ()) if customer else ()
    by_tag = {device.tag: device for device in own}
    device = next((by_tag[tag] for tag in link.devices if tag in by_tag), None)
    owner = registry.contacts_by_address.get((device.user or "").lower()) if device else None
    if owner is not None and customer is not None and owner.customer != customer.key:
        owner = None
    exceptions = CustomerExceptions.parse(customer.exceptions) if customer else CustomerExceptions()
    agreement = effective_agreement(customer, on) if customer else "unknown"
    ended = customer is not None and agreement == "none" and customer.agreement != "none"
    allowed = exceptions.visits_per_year if exceptions.visits_per_year is not None else rules.visits_per_year
    return CoverageFacts(
        customer=customer, agreement=agreement, agreement_ended=ended, contact=contact, device=device,
        device_owner=owner, category=classification.category, priority=classification.priority,
        visits_used=visits_this_year.get(customer.key, 0) if customer else 0, visits_allowed=allowed,
        exceptions=exceptions, year=on.year)


def _note(facts: CoverageFacts) -> str:
    found = facts.exceptions
    if facts.device is not None and facts.device.tag.upper() in found.covered_devices:
        return found.note(f"device:{facts.device.tag.upper()}")
    if facts.category in found.covered_categories:
        return found.note(f"category:{facts.category}")
    return found.note("visits") if facts.category == "visit" else ""


def _reason(template: str, facts: CoverageFacts, package: str | None, rate: int) -> str:
    device, customer, contact = facts.device, facts.customer, facts.contact
    end = customer.agreement_end if customer else None
    values = {
        "customer": customer.name if customer else "ukendt kunde",
        "contact": contact.name if contact else "afsenderen",
        "device": device.tag if device else "(ingen enhed)", "device_name": device.name if device else "",
        "device_kind": device.kind if device else "", "category": facts.category, "package": package or "–",
        "rate": str(rate), "agreement": facts.agreement, "agreement_end": end.strftime("%d.%m.%Y") if end else "",
        "visits_used": str(facts.visits_used), "visits_allowed": str(facts.visits_allowed),
        "visit_number": str(facts.visits_used + 1), "year": str(facts.year), "note": _note(facts),
    }
    return " ".join(template.format_map(values).split())


def _summary(facts: CoverageFacts) -> dict[str, object]:
    """The facts the rules saw, for `explain`."""
    return {
        "agreement": facts.agreement, "category": facts.category, "priority": facts.priority,
        "customer_packages": sorted(facts.customer.packages) if facts.customer else [],
        "contact_packages": sorted(facts.contact.packages) if facts.contact else None,
        "device": facts.device.tag if facts.device else None,
        "device_packages": sorted(facts.device.packages) if facts.device else None,
        "visits_used": facts.visits_used, "visits_allowed": facts.visits_allowed,
    }


def decide_coverage(facts: CoverageFacts, rules: CoverageRules, rates: Mapping[str, int], trace: Trace,
                    override: Coverage | None = None) -> Coverage:
    if override is not None:
        trace.add("coverage", override.rule, override.status, override.reason, tried=[])
        return override
    found = evaluate(rules.rules, facts, PREDICATES)
    if found.rule is None:
        rate = rates[FALLBACK_RATE.get(facts.agreement, "agreement")]
        coverage = Coverage("undetermined", rate, None, "no-rule-matched",
                            "Ingen dækningsregel passede; en medarbejder afgør dækningen",
                            review=("coverage-undetermined",))
    else:
        then = found.rule.then
        status, package = str(then["status"]), then.get("package")
        rate = 0 if status == "covered" else rates[str(then["rate"])]
        review = tuple(then.get("review", ())) + (("billable",) if status == "billable" else ())
        coverage = Coverage(status, rate, package, found.rule.id, _reason(str(then["reason"]), facts, package, rate),
                            priority=then.get("priority"), review=review)
    trace.add("coverage", coverage.rule, coverage.status, coverage.reason, tried=list(found.tried),
              package=coverage.package, rate_dkk=coverage.rate_dkk, facts=_summary(facts))
    return coverage


def ticket_override(item: WorkItem) -> Coverage | None:
    """Staff's override of the ticket this mail updates or reopens, if there is one."""
    thread, context = item.thread, item.context
    if thread is None or thread.action == ThreadAction.NEW:
        return None
    for state in (context.tagged_ticket, context.referenced_ticket):
        if state is not None and state.number == thread.ticket:
            return state.coverage_override
    return None


def coverage_for(item: WorkItem, registry: RegistrySnapshot, rules: CoverageRules, rates: Mapping[str, int],
                 timezone: str) -> Coverage:
    """The coverage of a classified, threaded WorkItem, as of the mail's date in MICO's time zone."""
    assert item.link is not None and item.classification is not None
    written = item.parsed.date or item.context.now
    on = (written.astimezone(ZoneInfo(timezone)) if written.tzinfo else written).date()
    facts = coverage_facts(item.link, item.classification, registry, on, item.context.visits_this_year, rules)
    return decide_coverage(facts, rules, rates, item.trace, ticket_override(item))
