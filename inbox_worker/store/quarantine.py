"""Quarantined mail as staff see it: what is in quarantine, why, and the history of one mail's decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from inbox_worker.domain.enums import Outcome, RawState
from inbox_worker.store.models import DecisionLog, RawBlob, RawMessage


@dataclass(frozen=True)
class QuarantinedMail:
    id: int
    received_at: datetime
    arrived_at: datetime | None
    source: str
    size: int
    message_id: str | None
    sender: str | None
    subject: str | None
    rule: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "received": self.received_at.isoformat(),
                "arrived": self.arrived_at.isoformat() if self.arrived_at else None, "source": self.source,
                "size": self.size, "message_id": self.message_id, "from": self.sender, "subject": self.subject,
                "rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class DecisionRecord:
    """One decision taken on a stored mail; a mail processed again has several."""

    at: datetime
    outcome: str
    ticket: int | None
    rule: str | None
    reason: str | None


_LATEST_DECISION = (select(DecisionLog.decision).where(DecisionLog.raw_message_id == RawMessage.id)
                    .order_by(DecisionLog.id.desc()).limit(1).correlate(RawMessage).scalar_subquery())
_QUARANTINED = (select(RawMessage, _LATEST_DECISION.label("decision"))
                .where(RawMessage.state == RawState.PROCESSED.value,
                       RawMessage.outcome == Outcome.QUARANTINED.value))


def _mail(raw: RawMessage, decision: dict[str, Any] | None) -> QuarantinedMail:
    decision = decision or {}
    return QuarantinedMail(raw.id, raw.received_at, raw.arrived_at, raw.source, raw.size,
                           raw.message_id, decision.get("from"), decision.get("subject"),
                           str(decision.get("rule") or "ukendt"),
                           str(decision.get("reason") or ""))


def quarantined(session: Session, reason: str | None = None, ids: list[int] | None = None) -> list[QuarantinedMail]:
    """What is in quarantine now, oldest first; `reason`: only a rule id, or words of the reason."""
    statement = _QUARANTINED.order_by(RawMessage.id)
    if ids is not None:
        statement = statement.where(RawMessage.id.in_(ids))
    mails = [_mail(raw, decision) for raw, decision in session.execute(statement)]
    if reason:
        wanted = reason.casefold()
        mails = [m for m in mails if m.rule.casefold() == wanted or wanted in m.reason.casefold()]
    return mails


def raw_message(session: Session, raw_id: int) -> RawMessage | None:
    return session.get(RawMessage, raw_id)


_BYTES = select(RawBlob.raw).where(RawBlob.raw_message_id == bindparam("raw_id"))


def raw_bytes(session: Session, raw: RawMessage) -> bytes:
    """The stored bytes of a mail (a duplicate with identical bytes shares those of the copy it repeats)."""
    stored = session.execute(_BYTES, {"raw_id": raw.id}).scalar()
    if stored is None and raw.duplicate_of_id is not None:
        stored = session.execute(_BYTES, {"raw_id": raw.duplicate_of_id}).scalar()
    return stored or b""


def history(session: Session, raw_id: int) -> list[DecisionRecord]:
    """Every decision taken on the mail, oldest first: a quarantine stays in it after the mail is processed again."""
    rows = session.execute(select(DecisionLog.created_at, DecisionLog.outcome, DecisionLog.ticket_id,
                                  DecisionLog.decision).where(DecisionLog.raw_message_id == raw_id)
                           .order_by(DecisionLog.id))
    return [DecisionRecord(at, outcome, ticket, (d or {}).get("rule"),
                           (d or {}).get("reason")) for at, outcome, ticket, d in rows]
