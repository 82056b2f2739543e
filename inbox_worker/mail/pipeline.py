"""The ordered pure stages: guard -> link -> classify -> thread -> coverage -> acknowledge.

`run_pipeline` takes a parsed mail and the context the repository looked up, and returns the
finished WorkItem. It performs no I/O; that is what makes `explain` free and decisions reproducible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from inbox_worker.config import RateSettings, Settings
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.types import (
    MailContext,
    Outcome,
    ParsedMail,
    RegistrySnapshot,
    ThreadAction,
    WorkItem,
)
from inbox_worker.mail.decide.acknowledge import decide_ack
from inbox_worker.mail.decide.classify import decide_classification, request_text
from inbox_worker.mail.decide.coverage import coverage_for
from inbox_worker.mail.decide.coverage_rules import CoverageRules
from inbox_worker.mail.decide.guard import GuardRules, decide_guard
from inbox_worker.mail.decide.link import LinkParams, LinkRules, decide_devices, decide_sender, settle_devices
from inbox_worker.mail.decide.thread import decide_thread
from inbox_worker.mail.decide.vocabulary import ClassifyRules, load_classify_rules

_OUTCOME_OF_ACTION = {
    ThreadAction.NEW: Outcome.NEW_TICKET,
    ThreadAction.UPDATE: Outcome.UPDATED_TICKET,
    ThreadAction.REOPEN: Outcome.REOPENED_TICKET,
}


@dataclass(frozen=True)
class Rulebook:
    """Every rule table, loaded and validated once at start-up."""

    guard: GuardRules
    link: LinkRules
    classify: ClassifyRules
    coverage: CoverageRules

    @classmethod
    def load(cls, rules_dir: str | Path) -> Rulebook:
        path = Path(rules_dir)
        return cls(guard=GuardRules.load(path), link=LinkRules.load(path),
                   classify=load_classify_rules(path / "classify.toml"), coverage=CoverageRules.load(path))


@dataclass(frozen=True)
class PipelineParams:
    own_addresses: frozenset[str]
    reopen_window_days: int
    max_acks_per_hour: int
    link: LinkParams
    hours: OfficeHours
    rates: Mapping[str, int] = field(default_factory=lambda: dataclasses.asdict(RateSettings()))
    timezone: str = "Europe/Copenhagen"

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineParams:
        company = settings.company
        own = {company.support_address.lower(), settings.smtp.from_address.lower()}
        staff_domains = frozenset({company.support_domain, *(d.lower() for d in company.staff_domains)})
        opens, closes = company.opening_hours()
        return cls(frozenset(own), settings.tickets.reopen_window_days, settings.ack.max_per_sender_per_hour,
                   LinkParams(staff_domains, settings.mailbox.trusted_auth_server),
                   OfficeHours(company.timezone, opens, closes, company.open_weekdays(), company.public_holidays,
                               tuple(company.closed_days)),
                   dataclasses.asdict(settings.rates), company.timezone)


def _add_review(item: WorkItem, flags: tuple[str, ...] | list[str]) -> None:
    for flag in flags:
        if flag not in item.review:
            item.review.append(flag)


def _apply_coverage(item: WorkItem) -> None:
    """The coverage's review flags, and its priority (server-package work high; an emergency stays one)."""
    assert item.coverage is not None and item.classification is not None
    _add_review(item, item.coverage.review)
    wanted, current = item.coverage.priority, item.classification.priority
    if wanted and wanted != current and current != "emergency":
        item.classification = dataclasses.replace(item.classification, priority=wanted)
        item.trace.add("coverage", f"priority-{wanted}", wanted,
                       f"Prioriteten sættes fra {current} til {wanted} af dækningsreglen {item.coverage.rule}")


def run_pipeline(
    mail: ParsedMail, context: MailContext, registry: RegistrySnapshot, rules: Rulebook, params: PipelineParams
) -> WorkItem:
    item = WorkItem(parsed=mail, context=context)
    item.guard = decide_guard(mail, params.own_addresses, rules.guard, item.trace)
    if item.guard.action == "quarantine":
        item.outcome = Outcome.QUARANTINED
        _add_review(item, ["quarantined"])
        return item
    item.link = decide_sender(mail, registry, rules.link, params.link, item.trace)
    if item.guard.action == "ignore":
        # Automatic mail is attached to its ticket when it clearly belongs to one, but never opens one.
        item.thread = decide_thread(item.link.customer, context, params.reopen_window_days, item.trace)
        if item.thread.action == ThreadAction.REOPEN:
            item.thread = type(item.thread)(ThreadAction.UPDATE, item.thread.ticket)
        item.outcome = Outcome.IGNORED
        return item
    _add_review(item, item.link.review)
    request = request_text(mail, item.link, rules.classify)
    item.link = decide_devices(item.link, request.subject, request.text, registry, rules.link, item.trace)
    item.classification = decide_classification(mail, item.link, registry, context, rules.classify, params.hours,
                                                item.trace, request)
    item.link = settle_devices(item.link, item.classification.category, registry, rules.link,
                               rules.classify.device_evidence, item.trace)
    _add_review(item, item.classification.review)
    item.thread = decide_thread(item.link.customer, context, params.reopen_window_days, item.trace)
    item.outcome = _OUTCOME_OF_ACTION[item.thread.action]
    item.coverage = coverage_for(item, registry, rules.coverage, params.rates, params.timezone)
    _apply_coverage(item)
    item.ack = decide_ack(mail, item.outcome, item.review, context, params.max_acks_per_hour,
                          params.own_addresses, item.trace)
    if item.ack.reason == "rate-limit":
        _add_review(item, ["ack-rate-limit"])
    return item


