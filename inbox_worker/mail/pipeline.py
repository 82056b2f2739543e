"""The ordered pure stages: guard -> link -> classify -> thread -> priority -> coverage -> ticket -> response -> ack
-> on-call.

`run_pipeline` takes a parsed mail and the context read from the database beforehand, and returns
the complete Decision: everything the store will write and every rule that fired, in its trace.
`run_pipeline` performs no I/O and reads no clock, which is what makes `explain` equal to what
ingest does; the rule tables it uses are read and validated once, at start-up (`Rulebook.load`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from inbox_worker.config import Settings
from inbox_worker.domain.addresses import mailbox_of
from inbox_worker.domain.decision import Decision, quarantined
from inbox_worker.domain.enums import AckStatus, Category, GuardAction, Outcome, ThreadAction
from inbox_worker.domain.hours import OfficeHours
from inbox_worker.domain.types import (
    GuardDecision,
    MailContext,
    ParsedMail,
    RegistrySnapshot,
    ThreadDecision,
    TicketState,
    WorkItem,
)
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.mail.decide.acknowledge import decide_ack
from inbox_worker.mail.decide.classify import decide_classification, request_text
from inbox_worker.mail.decide.classify_rules import ClassifyRules
from inbox_worker.mail.decide.clocks import ClockInput, decide_clocks, staff_sender
from inbox_worker.mail.decide.coverage import decide_coverage, ticket_override
from inbox_worker.mail.decide.coverage_rules import CoverageRules
from inbox_worker.mail.decide.escalate import decide_ticket_change
from inbox_worker.mail.decide.facts import MailFacts, mail_facts
from inbox_worker.mail.decide.guard import GuardRules, decide_guard
from inbox_worker.mail.decide.link import LinkParams, LinkRules, decide_devices, decide_sender, settle_devices
from inbox_worker.mail.decide.oncall import OncallAddresses, decide_oncall
from inbox_worker.mail.decide.priority import PriorityRules, decide_priority
from inbox_worker.mail.decide.response import ResponseRules
from inbox_worker.mail.decide.thread import decide_thread

_OUTCOME_OF_ACTION = {
    ThreadAction.NEW: Outcome.NEW_TICKET,
    ThreadAction.UPDATE: Outcome.UPDATED_TICKET,
    ThreadAction.REOPEN: Outcome.REOPENED_TICKET,
}


@dataclass(frozen=True)
class Rulebook:
    """Every rule table, validated; read from rules/ once at start-up by mail/rulebook.py."""

    guard: GuardRules
    link: LinkRules
    classify: ClassifyRules
    priority: PriorityRules
    coverage: CoverageRules
    response: ResponseRules


@dataclass(frozen=True)
class PipelineParams:
    """What the decisions take from the configuration."""

    own_addresses: frozenset[str]
    reopen_window_days: int
    max_acks_per_hour: int
    link: LinkParams
    hours: OfficeHours
    rates: Mapping[str, int]
    timezone: str
    oncall: OncallAddresses

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineParams:
        company = settings.company
        # Our own mailboxes: mail from them is never answered (the on-call gateway answering a notice
        # would loop). MICO's people (staff_domains) are not among them: their forwards are work.
        own = {mailbox_of(address) for address in (company.support_address, settings.smtp.from_address,
                                                   company.staff_address, company.oncall_address) if address}
        staff_domains = frozenset({company.support_domain, *(d.lower() for d in company.staff_domains)})
        opens, closes = company.opening_hours()
        return cls(frozenset(own), settings.tickets.reopen_window_days, settings.ack.max_per_sender_per_hour,
                   LinkParams(staff_domains, settings.mailbox.trusted_auth_server),
                   OfficeHours(company.timezone, opens, closes, company.open_weekdays(), company.public_holidays,
                               tuple(company.closed_days)),
                   dataclasses.asdict(settings.rates), company.timezone,
                   OncallAddresses(company.oncall_address, company.staff_address))

    @property
    def calendar(self) -> WorkCalendar:
        """The opening hours as the clock the response-time targets run on."""
        return WorkCalendar(self.hours)


@dataclass(frozen=True)
class PhoneChoices:
    """A call taken by staff: what they chose on the phone wins over the rules (and is traced as theirs)."""

    category: str = ""
    device: str = ""


def run_pipeline(mail: ParsedMail, context: MailContext, registry: RegistrySnapshot, rules: Rulebook,
                 params: PipelineParams, phone: PhoneChoices | None = None) -> Decision:
    item = WorkItem(parsed=mail, context=context)
    item.guard = _guard(item, rules, params, phone, registry)
    if item.guard.action == GuardAction.QUARANTINE:
        return quarantined(item.guard.reason, item.guard.rule, mail, trace=tuple(item.trace.entries))
    _note_copies(item, context)
    item.link = decide_sender(mail, registry, rules.link, params.link, item.trace)
    if item.guard.action == GuardAction.IGNORE:
        # Automatic mail is attached to its ticket when it clearly belongs to one, but never opens one.
        item.thread = decide_thread(item.link.customer, context, params.reopen_window_days, item.trace)
        if item.thread.action == ThreadAction.REOPEN:
            item.thread = ThreadDecision(ThreadAction.UPDATE, item.thread.ticket)
            item.trace.add("thread", "automatic-mail-attached", "update",
                           f"Automatisk mail genåbner ikke sag #{item.thread.ticket}; den knyttes blot til sagen")
        item.outcome = Outcome.IGNORED
        return _decision(item)
    _add_review(item, item.link.review)
    _classify(item, registry, rules, params, phone)
    assert item.link is not None and item.classification is not None
    if phone is not None:  # whatever staff typed as the subject, a call is a ticket of its own
        item.thread = ThreadDecision(ThreadAction.NEW, None)
        item.trace.add("thread", "phone-new-ticket", "new", "Et opkald bliver en ny sag")
    else:
        item.thread = decide_thread(item.link.customer, context, params.reopen_window_days, item.trace)
    item.outcome = _OUTCOME_OF_ACTION[item.thread.action]
    customer = item.link.customer
    facts = mail_facts(item.link, item.classification, registry, _local_day(mail.date or context.now, params),
                       {customer: context.visits_used(customer, item.thread)} if customer else {},
                       rules.coverage.visits_per_year, context.visit_year)
    priority = decide_priority(facts, rules.priority, item.trace)
    item.priority = priority.priority
    _add_review(item, priority.review)
    facts = dataclasses.replace(facts, priority=item.priority)
    item.coverage = decide_coverage(facts, rules.coverage, params.rates, item.trace,
                                    ticket_override(item.thread, context))
    _add_review(item, item.coverage.review)
    ticket = context.ticket_state(item.thread)
    colleague = staff_sender(mail, item.link, params.link.staff_domains) if phone is None and ticket else None
    item.ticket_change = decide_ticket_change(item.outcome, item.priority, item.review, ticket,
                                              rules.priority.raises_ticket, item.trace, colleague is not None)
    _clocks(item, ticket, facts, colleague, phone is not None, rules, params)
    if phone is not None:
        item.trace.add("acknowledge", "ack-phone", "none", "Opkald: kunden er i telefonen, ingen kvittering")
    else:
        item.ack = decide_ack(mail, item.outcome, item.review, context, params.max_acks_per_hour,
                              _own_mailboxes(params, registry), item.trace)
        if item.ack.reason == "rate-limit":
            _add_review(item, ["ack-rate-limit"])
    item.oncall = decide_oncall(item.outcome, item.priority, item.classification.outside_hours,
                                ticket.oncall_notified if ticket else False, params.oncall, registry, item.trace)
    if item.outcome == Outcome.NEW_TICKET and item.classification.category == Category.VISIT:
        item.visit_year = facts.year  # the year whose visits it uses: later mails count it
    return _decision(item, facts.customer.account_manager if facts.customer else None)


def _clocks(item: WorkItem, ticket: TicketState | None, facts: MailFacts, colleague: str | None, phone: bool,
            rules: Rulebook, params: PipelineParams) -> None:
    """The response-time clocks: started for a new ticket, moved by a follow-up; from when the mail arrived."""
    assert item.outcome is not None and item.thread is not None
    context = item.context
    given = ClockInput(item.outcome, item.thread, ticket, item.ticket_change, facts,
                       context.arrived_at or context.now, colleague, phone)
    item.response = decide_clocks(given, rules.response, params.calendar, item.trace)


def _note_copies(item: WorkItem, context: MailContext) -> None:
    """Earlier stored mails with this Message-ID that are not this mail (the raw store decided which)."""
    copies = context.copies
    if copies.supersedes:
        item.trace.add("dedupe", "complete-copy-supersedes", "process",
                       "Erstatter en afkortet kopi af samme mail i karantæne (rå mail "
                       f"{', '.join(map(str, copies.supersedes))})", raw_ids=list(copies.supersedes))
    if copies.reused_by:
        item.trace.add("dedupe", "message-id-reused", "process",
                       "Samme Message-ID som en anden, tidligere mail med andet indhold (rå mail "
                       f"{', '.join(map(str, copies.reused_by))}): behandlet som en ny mail",
                       raw_ids=list(copies.reused_by))
        _add_review(item, ["message-id-reused"])


def _own_mailboxes(params: PipelineParams, registry: RegistrySnapshot) -> frozenset[str]:
    """Our own mailboxes, less any that is a customer's contact: a staff or on-call address configured as
    a customer's by mistake must not make that customer's mail go unanswered (no notice goes there either)."""
    if params.own_addresses.isdisjoint(registry.contacts_by_address):
        return params.own_addresses
    return frozenset(a for a in params.own_addresses if a not in registry.contacts_by_address)


def _guard(item: WorkItem, rules: Rulebook, params: PipelineParams, phone: PhoneChoices | None,
           registry: RegistrySnapshot) -> GuardDecision:
    """Automatic, broken or an ordinary request; a call staff took is always an ordinary request."""
    if phone is None:
        return decide_guard(item.parsed, _own_mailboxes(params, registry), rules.guard, item.trace)
    item.trace.add("guard", "phone-call", "accept", "Et opkald, som en medarbejder har taget")
    return GuardDecision(GuardAction.ACCEPT, "phone-call", "")


def _classify(item: WorkItem, registry: RegistrySnapshot, rules: Rulebook, params: PipelineParams,
              phone: PhoneChoices | None) -> None:
    """Devices and classification: from the sender's words, and for a phone call from staff's choices."""
    assert item.link is not None
    mail = item.parsed
    request = request_text(mail, item.link, rules.classify)
    item.link = decide_devices(item.link, request.subject, request.text, registry, rules.link, item.trace)
    item.classification = decide_classification(mail, item.link, registry, item.context, rules.classify,
                                                params.hours, item.trace, request)
    item.link = settle_devices(item.link, item.classification.category, registry, rules.link,
                               rules.classify.device_evidence, item.trace)
    if phone is not None and phone.category:  # recorded even when the rules agree: staff chose it
        item.classification = dataclasses.replace(item.classification, category=Category(phone.category))
        item.trace.add("classify", "staff-category", phone.category, "Medarbejderen valgte kategorien i telefonen")
    if phone is not None and phone.device:
        item.link = dataclasses.replace(item.link, devices=(phone.device,))
        item.trace.add("link", "staff-device", phone.device,
                       f"Medarbejderen valgte enheden {phone.device} i telefonen")
    _add_review(item, item.classification.review)


def _local_day(moment: datetime, params: PipelineParams) -> date:
    """The day in MICO's time zone: the agreement of a mail is the one in force on this day."""
    return moment.astimezone(ZoneInfo(params.timezone)).date()


def _add_review(item: WorkItem, flags: tuple[str, ...] | list[str]) -> None:
    for flag in flags:
        if flag not in item.review:
            item.review.append(flag)


def _decision(item: WorkItem, account_manager: str | None = None) -> Decision:
    """The finished WorkItem as the frozen Decision (a new ticket gets the next number and the account manager)."""
    mail, link, classification, thread = item.parsed, item.link, item.classification, item.thread
    assert item.outcome is not None and item.guard is not None
    ticket = None
    if thread is not None and thread.action != ThreadAction.NEW:
        ticket = thread.ticket
    elif item.outcome == Outcome.NEW_TICKET:
        ticket = item.context.next_ticket_number
    ack = AckStatus.NONE
    if item.ack is not None and item.ack.reason:
        ack = AckStatus.SUPPRESSED
    elif item.ack is not None and item.ack.send:
        ack = AckStatus.QUEUED
    guarded = item.guard.action != GuardAction.ACCEPT
    customer = link.customer if link else None
    return Decision(
        outcome=item.outcome, message_id=mail.message_id, sender=mail.from_address, subject=mail.subject,
        ticket=ticket, customer=customer, contact=link.contact if link else None,
        devices=link.devices if link else (),
        category=classification.category if classification else None,
        priority=item.priority,
        language=classification.language if classification else None,
        coverage=item.coverage, outside_hours=classification.outside_hours if classification else None,
        ack=ack, ack_reason=item.ack.reason if item.ack else None, review=tuple(item.review),
        reason=item.guard.reason if guarded else None, rule=item.guard.rule if guarded else None,
        thread=thread, ticket_change=item.ticket_change, oncall=item.oncall, visit_year=item.visit_year,
        assignee=account_manager if item.outcome == Outcome.NEW_TICKET else None, response=item.response,
        trace=tuple(item.trace.entries))
