"""Send the response-time warnings due now: one notice per ticket and target, through the outbox, never twice.

Run every minute by `run` (schedule.py). The notice goes to the ticket's assignee (their staff login's
address), else to `company.staff_address`. Its `response_warnings` row (primary key ticket + target) is
written in the same transaction as its outbox row: a crash leaves both or neither, and a second worker
at the same moment fails on the key and rolls its copy back, so no notice is ever queued twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.enums import ClockMode
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.features.response.due import DueWarning, warnings_due
from inbox_worker.features.response.notice import NoticeFacts, compose_warning
from inbox_worker.features.response.workcalendar import work_calendar
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.apply import queue_mail
from inbox_worker.store.db import READ_ONLY
from inbox_worker.store.models import Customer, OutboxMessage, ResponseWarning, Ticket
from inbox_worker.store.response import clocks_of
from inbox_worker.store.response_queries import staff_email, warned_targets, warning_candidates

log = logging.getLogger("inbox_worker.features.response.warnings")


@dataclass
class WarningRun:
    sent: list[tuple[int, str, str]] = field(default_factory=list)  # (ticket, target, recipient)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (ticket, why)


@dataclass(frozen=True)
class _Job:
    settings: Settings
    renderer: Renderer
    calendar: WorkCalendar
    now: datetime


def send_due_warnings(settings: Settings, engine: Engine, now: datetime | None = None) -> WarningRun:
    """Queue every warning due at `now`; each ticket in its own short transaction."""
    run = WarningRun()
    if not settings.response.warnings:
        return run
    now = now or datetime.now(UTC)
    calendar = work_calendar(settings)
    # No open promise more than the warning time ahead on any clock is due before this moment: the
    # opening-hours clock reaches it last (around the clock, it is simply now + the minutes).
    horizon = calendar.due(now, settings.response.warn_before_minutes, ClockMode.OPENING_HOURS)
    with Session(engine) as session:
        session.connection(execution_options=READ_ONLY)  # SQLite: a read takes no write lock, every minute
        candidates = warning_candidates(session, horizon)
    job = _Job(settings, Renderer(settings), calendar, now)
    for ticket_id in candidates:
        try:
            sent = _warn_ticket(engine, job, ticket_id)
        except IntegrityError:  # another worker queued it between our check and our insert: its copy stands
            run.skipped.append((ticket_id, "already warned"))
            continue
        except ValueError as exc:  # an address the renderer refuses: say so each minute rather than stop
            log.error("response warning ticket=%s not queued: %s", ticket_id, exc)
            run.skipped.append((ticket_id, str(exc)))
            continue
        run.sent += sent
        for ticket, target, _recipient in sent:
            log.info("response warning ticket=%s target=%s queued", ticket, target)
    return run


def _warn_ticket(engine: Engine, job: _Job, ticket_id: int) -> list[tuple[int, str, str]]:
    """The ticket's due warnings queued and recorded in one transaction; what was queued."""
    with Session(engine) as session, session.begin():
        ticket = session.get(Ticket, ticket_id)
        clocks = clocks_of(ticket) if ticket is not None else None
        if ticket is None or clocks is None:
            return []
        warned = warned_targets(session, ticket_id)
        due = [warning for warning in warnings_due(clocks, ticket.status, job.now, job.calendar,
                                                   job.settings.response.warn_before_minutes)
               if warning.target.value not in warned]
        if not due:
            return []
        assignee_address = staff_email(session, ticket.assignee)
        recipient = assignee_address or job.settings.company.staff_address
        customer = session.get(Customer, ticket.customer_id) if ticket.customer_id is not None else None
        facts = NoticeFacts(ticket.id, ticket.subject, customer.name if customer else None, ticket.from_address,
                            ticket.assignee if assignee_address else None, clocks.targets.mode,
                            clocks.targets.reason)
        for warning in due:
            _queue(session, job, facts, warning, recipient)
    return [(ticket_id, warning.target.value, recipient) for warning in due]


def _queue(session: Session, job: _Job, facts: NoticeFacts, warning: DueWarning, recipient: str) -> None:
    mail = compose_warning(job.renderer, facts, warning, recipient, job.now)
    # Not in the ticket's thread (that is the conversation with the customer, and would show the notice
    # as a mail to them); the outbox row still names the ticket, for the outbox desk.
    outbox_id = queue_mail(session.connection(), mail, None, None, job.now)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(ticket_id=facts.ticket))
    session.add(ResponseWarning(ticket_id=facts.ticket, target=warning.target.value, due_at=warning.due,
                                recipient=recipient, outbox_id=outbox_id, created_at=job.now))
    session.flush()  # the key now: a concurrent worker's copy fails here, before anything is committed
