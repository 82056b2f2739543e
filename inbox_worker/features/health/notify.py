"""Evaluate the alerts and queue staff mail: read, decide (pure), render, then write states and mail in one go.

The mails are rendered before the write transaction; the transaction takes the evaluation lock,
reads the open states again and writes only when they are what the decision was made from (else it
decides again), so two workers evaluating at once mail staff once. The mails go through the outbox:
when SMTP itself is failing, its alert waits there and goes out when SMTP works again, before the
notice that it recovered.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.domain.enums import OutboxStatus
from inbox_worker.domain.health import AlertState
from inbox_worker.domain.outgoing import OutgoingMail
from inbox_worker.features.health import mail
from inbox_worker.features.health.alerting import Plan, step
from inbox_worker.features.health.rules import Condition, findings
from inbox_worker.features.health.snapshot import measure_disks, read_snapshot
from inbox_worker.outbound.render import Renderer
from inbox_worker.store import alerts, outbox
from inbox_worker.store.apply import queue_mail

log = logging.getLogger(__name__)
ATTEMPTS = 3  # decisions made again when another evaluation wrote in between


def _decide(settings: Settings, engine: Engine, now: datetime) -> tuple[dict[str, AlertState], Plan]:
    disks = measure_disks(settings)
    with Session(engine) as session:
        snapshot = read_snapshot(settings, session, now, disks=disks)
        states = alerts.open_states(session)
    return states, step(states, findings(snapshot, settings.alerts), now)


def _render(renderer: Renderer, settings: Settings, plan: Plan, now: datetime) -> tuple[list[OutgoingMail], ...]:
    started = [mail.compose(renderer, settings, state, now, recovered=False) for state, _ in plan.alerts]
    cleared = [mail.compose(renderer, settings, state, now, recovered=True) for state in plan.recoveries]
    return started, cleared


def _write(session: Session, plan: Plan, started: list[OutgoingMail], cleared: list[OutgoingMail],
           now: datetime) -> None:
    alerted = {state.condition: queue_mail(session.connection(), out, None, None, now)
               for (state, _), out in zip(plan.alerts, started, strict=True)}
    alerts.save(session, [s if s.condition not in alerted else _with_outbox(s, alerted[s.condition])
                          for s in plan.states])
    for state, out in zip(plan.recoveries, cleared, strict=True):
        if state.alert_outbox_id is not None:  # an alert still waiting (SMTP was down) goes now, before this
            outbox.requeue(session, state.alert_outbox_id, (OutboxStatus.QUEUED, OutboxStatus.FAILED), now)
        alerts.clear(session, state.condition, now, queue_mail(session.connection(), out, None, None, now))
    for condition in plan.dropped:
        alerts.clear(session, condition, now, None)


def _with_outbox(state: AlertState, outbox_id: int) -> AlertState:
    return dataclasses.replace(state, alert_outbox_id=outbox_id)


def _log(settings: Settings, plan: Plan) -> None:
    alerted_now = {state.condition for state, _ in plan.alerts}
    for condition in plan.opened:
        if condition not in alerted_now:
            log.warning("health: %s found; staff are mailed if it lasts", condition)
    for state, found in plan.alerts:
        log.warning("health: %s since %s: alert to %s queued (%s)", state.condition, state.since.isoformat(),
                    settings.company.staff_address, found.facts)
        if found.condition == Condition.SMTP_FAILING:
            log.error("SMTP is failing (%s): the alert to staff waits in the outbox and goes out when SMTP works",
                      found.facts.get("error"))
    for state in plan.recoveries:
        log.warning("health: %s cleared: recovery notice to %s queued", state.condition, settings.company.staff_address)


def evaluate_alerts(settings: Settings, engine: Engine, now: datetime, renderer: Renderer | None = None) -> Plan:
    """One evaluation at `now` (every minute in `run`); what it decided. Nothing when `alerts.enabled` is off."""
    if not settings.alerts.enabled:
        return Plan()
    renderer = renderer or Renderer(settings)
    for _ in range(ATTEMPTS):
        states, plan = _decide(settings, engine, now)
        if not plan.mails and not plan.dropped and {s.condition: s for s in plan.states} == states:
            return plan  # nothing new: no write (most minutes)
        started, cleared = _render(renderer, settings, plan, now)
        with Session(engine) as session, session.begin():
            alerts.lock(session)
            if alerts.open_states(session) != states:
                continue  # another evaluation wrote meanwhile: decide again on what is there now
            _write(session, plan, started, cleared, now)
        _log(settings, plan)
        return plan
    log.warning("health: alerts not evaluated: other evaluations kept changing the state")
    return Plan()
