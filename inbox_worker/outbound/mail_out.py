"""The mail one processed mail sends, rendered from its decision before anything of it is written."""

from __future__ import annotations

from datetime import datetime

from inbox_worker.domain.decision import Decision
from inbox_worker.domain.enums import AckStatus
from inbox_worker.domain.outgoing import MailOut
from inbox_worker.domain.types import ParsedMail, RegistrySnapshot
from inbox_worker.outbound.oncall_mail import compose_oncall
from inbox_worker.outbound.render import Renderer


def mail_out(renderer: Renderer, decision: Decision, mail: ParsedMail, now: datetime,
             registry: RegistrySnapshot) -> MailOut:
    if decision.ticket is None:
        return MailOut()
    ack = renderer.compose_ack(decision, mail, now) if decision.ack == AckStatus.QUEUED else None
    oncall = compose_oncall(renderer, decision, mail, now, registry) if decision.oncall is not None else None
    return MailOut(ack, oncall)
