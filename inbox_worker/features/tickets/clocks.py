"""Staff moving a ticket's response-time clocks: a reply, a status or priority change, a merge.

The transitions are the pure events of domain/response_clock; the targets for a new priority come
from rules/response.toml, on the facts of the ticket (its customer's agreement today, its contact,
devices and category). Each change is written through store/response.record with the staff member's
initials, in the caller's transaction, and returned so the action's audit entry can name it. A ticket
from before the clocks has none, and nothing here gives it any (staff targets by hand do: targets.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain import response_clock as clock
from inbox_worker.domain.enums import Category, Language, Priority, TicketStatus
from inbox_worker.domain.response_clock import ClockChange, ResponseTargets
from inbox_worker.domain.types import Classification, LinkDecision
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.facts import mail_facts
from inbox_worker.mail.decide.response import ResponseRules, decide_targets
from inbox_worker.mail.pipeline import PipelineParams
from inbox_worker.store import repository
from inbox_worker.store import response as clocks_store
from inbox_worker.store.models import Device, Ticket, TicketDevice


@dataclass(frozen=True)
class ClockSetup:
    """What staff actions need to move clocks: the response rules and the opening-hours calendar."""

    rules: ResponseRules
    calendar: WorkCalendar

    @classmethod
    def from_settings(cls, settings: Settings) -> ClockSetup:
        return cls(rulebook.response(Path(settings.paths.rules)), PipelineParams.from_settings(settings).calendar)


def answered(session: Session, ticket: Ticket, initials: str, now: datetime) -> ClockChange | None:
    """A staff reply: the first one meets the first response."""
    clocks = clocks_store.clocks_of(ticket)
    change = clock.first_response(clocks, now, f"svar fra {initials}") if clocks else None
    return _record(session, ticket, change, initials, now)


def status_changed(session: Session, ticket: Ticket, before: str, after: str, setup: ClockSetup, actor: str,
                   now: datetime) -> list[ClockChange]:
    """Waiting pauses the resolution clock, open again resumes it, closed stops it; a closed ticket opened
    again by staff starts both clocks again (on its own targets)."""
    clocks = clocks_store.clocks_of(ticket)
    if clocks is None:
        return []
    calendar, changes = setup.calendar, []
    if before == TicketStatus.CLOSED and after != TicketStatus.CLOSED:
        changes.append(clock.reopen(clocks, clocks.targets, now, calendar))
        clocks = changes[-1].clocks
    step = None
    if after == TicketStatus.WAITING:
        step = clock.pause(clocks, now)
    elif after == TicketStatus.OPEN and before == TicketStatus.WAITING:
        step = clock.resume(clocks, now, calendar)
    elif after == TicketStatus.CLOSED:
        step = clock.resolve(clocks, now, calendar)
    changes += [step] if step is not None else []
    for change in changes:
        clocks_store.record(session, ticket, change, now, actor)
    return changes


def priority_changed(session: Session, ticket: Ticket, setup: ClockSetup, actor: str,
                     now: datetime) -> ClockChange | None:
    """Staff raised or lowered the priority: the rules' targets for it, counted from the same start
    (targets staff set by hand stay)."""
    clocks = clocks_store.clocks_of(ticket)
    if clocks is None:
        return None
    change = clock.retarget(clocks, targets_for(session, ticket, setup, now), setup.calendar)
    return _record(session, ticket, change, actor, now)


def merged(session: Session, source: Ticket, target: int, setup: ClockSetup, actor: str,
           now: datetime) -> ClockChange | None:
    """A ticket merged into another is closed: its clocks stop there, and the other ticket's run on."""
    clocks = clocks_store.clocks_of(source)
    change = clock.resolve(clocks, now, setup.calendar) if clocks else None
    if change is not None:
        change = dataclasses.replace(change, reason=f"Flettet ind i sag #{target}: fristerne følger den sag")
    return _record(session, source, change, actor, now)


def targets_for(session: Session, ticket: Ticket, setup: ClockSetup, now: datetime) -> ResponseTargets:
    """The targets rules/response.toml gives the ticket as it is now (its priority, its customer's agreement today)."""
    keys = repository.customer_keys(session)
    devices = tuple(session.scalars(select(Device.tag).join(TicketDevice, TicketDevice.device_id == Device.id)
                                    .where(TicketDevice.ticket_id == ticket.id).order_by(Device.tag)))
    link = LinkDecision(keys.get(ticket.customer_id or 0), ticket.contact_email, devices, ())
    category = ticket.category if ticket.category in {c.value for c in Category} else Category.OTHER
    language = Language.EN if ticket.language == Language.EN else Language.DA
    day = now.astimezone(ZoneInfo(setup.calendar.hours.timezone)).date()
    # Visits are not counted here: a target by the visits used would be a coverage matter, not a clock's.
    facts = mail_facts(link, Classification(Category(category), language), repository.load_snapshot(session),
                       day, {}, 0)
    return decide_targets(dataclasses.replace(facts, priority=Priority(ticket.priority)), setup.rules)[0]


def _record(session: Session, ticket: Ticket, change: ClockChange | None, actor: str,
            now: datetime) -> ClockChange | None:
    if change is not None:
        clocks_store.record(session, ticket, change, now, actor)
    return change
