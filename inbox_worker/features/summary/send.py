"""Send the weekly summaries of an ISO week: once per customer and week, through the outbox.

Idempotent: a `summaries_sent` row (unique per customer and week) is written in the same transaction
as the outbox row, so a second run, or a second worker at the same moment, sends nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.worktime import WorkCalendar
from inbox_worker.features.billing.queries import billing_customers
from inbox_worker.features.summary.build import NO_CONTACT_PERSON, IsoWeek, build_summary, why_not_sent
from inbox_worker.features.summary.mail import compose_summary, summary_text
from inbox_worker.features.summary.queries import already_sent, response_week, summary_customers, summary_facts
from inbox_worker.mail.pipeline import PipelineParams
from inbox_worker.outbound.render import Renderer
from inbox_worker.store.apply import queue_mail
from inbox_worker.store.models import SummarySent
from inbox_worker.store.privacy.records import erased_contact_person

log = logging.getLogger("inbox_worker.features.summary.build")


@dataclass
class SummaryRun:
    week: IsoWeek
    sent: list[tuple[str, str]] = field(default_factory=list)  # (customer, recipient)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (customer, why)
    previews: list[tuple[str, str, str]] = field(default_factory=list)  # dry run: (customer, subject, text)


def _calendar(settings: Settings) -> WorkCalendar:
    """The opening hours the response clocks count in (as the pipeline reads `[company]`)."""
    return WorkCalendar(PipelineParams.from_settings(settings).hours)


def _erased_contact(session: Session, customer_id: int, why: str) -> str:
    """Why not, saying so when the contact person was erased (privacy erase): the summary goes to nobody."""
    if why != NO_CONTACT_PERSON:
        return why
    erased = erased_contact_person(session, customer_id)
    return f"{why}: {erased} er slettet efter anmodning, så ugeoversigten går ikke til nogen, før registret " \
           "får en ny contact_person" if erased else why


def _send_one(engine: Engine, renderer: Renderer, settings: Settings, customer_key: str, week: IsoWeek,
              now: datetime, run: SummaryRun, dry_run: bool) -> None:
    with Session(engine) as session, session.begin():
        customer = summary_customers(session, customer_key)[0]
        facts_of = {c.key: c for c in billing_customers(session)}
        zone = settings.company.timezone
        response = response_week(session, customer, week, zone, _calendar(settings), now) \
            if settings.summary.response_times else None
        summary = build_summary(summary_facts(session, customer, week, zone, settings.billing.round_up_minutes,
                                              facts_of[customer.key], response))
        why = why_not_sent(customer.weekly_summary, customer.contact_person, already_sent(session, customer, week),
                           summary.has_activity)
        if why is not None:
            run.skipped.append((customer.key, _erased_contact(session, customer.id, why)))
            return
        if dry_run:
            subject, text = summary_text(renderer, summary, now)
            run.previews.append((customer.key, subject, text))
            return
        mail = compose_summary(renderer, summary, now)
        recipient = mail.recipient
        outbox_id = queue_mail(session.connection(), mail, None, None, now)
        session.add(SummarySent(customer_id=customer.id, week=str(week), outbox_id=outbox_id, created_at=now))
    run.sent.append((customer_key, recipient))
    log.info("summary week=%s customer=%s queued", week, customer_key)


def send_summaries(settings: Settings, engine: Engine, week: IsoWeek, *, customer: str | None = None,
                   dry_run: bool = False, now: datetime | None = None) -> SummaryRun:
    """Queue the week's summary for each customer (or one) that should get it; each in its own transaction."""
    now = now or datetime.now(UTC)
    renderer = Renderer(settings)
    run = SummaryRun(week)
    with Session(engine) as session:
        keys = [c.key for c in summary_customers(session, customer)]
    for key in keys:
        try:
            _send_one(engine, renderer, settings, key, week, now, run, dry_run)
        except IntegrityError:  # another worker queued it between our check and our insert
            run.skipped.append((key, "allerede sendt"))
    return run
