"""The decision object of interface.md, built from a finished WorkItem (plus what the store assigned)."""

from __future__ import annotations

from typing import Any

from inbox_worker.domain.types import Outcome, ParsedMail, WorkItem


def decision_object(item: WorkItem, ticket: int | None, ack_status: str, ack_reason: str | None) -> dict[str, Any]:
    mail = item.parsed
    link = item.link
    result: dict[str, Any] = {
        "message_id": mail.message_id,
        "from": mail.from_address,
        "subject": mail.subject,
        "outcome": str(item.outcome),
        "ticket": ticket,
        "customer": link.customer if link else None,
        "contact": link.contact if link else None,
        "devices": list(link.devices) if link else [],
        "category": item.classification.category if item.classification else None,
        "priority": item.classification.priority if item.classification else None,
        "language": item.classification.language if item.classification else None,
        "coverage": item.coverage.as_dict() if item.coverage else None,
        "outside_hours": item.classification.outside_hours if item.classification else None,
        "ack": ack_status,
        "review": list(item.review),
    }
    if ack_reason:
        result["ack_reason"] = ack_reason
    if item.guard is not None and item.guard.action != "accept":
        result["reason"] = item.guard.reason
        result["rule"] = item.guard.rule
    return result


def trace_object(item: WorkItem) -> list[dict[str, Any]]:
    return [{"stage": e.stage, "rule": e.rule, "result": e.result, "reason": e.reason, "details": e.details}
            for e in item.trace.entries]


def duplicate_decision(mail_id: str | None, sender: str | None, subject: str | None, ticket: int | None,
                       original_outcome: str | None) -> dict[str, Any]:
    return {
        "message_id": mail_id, "from": sender, "subject": subject, "outcome": str(Outcome.DUPLICATE),
        "ticket": ticket, "customer": None, "contact": None, "devices": [], "category": None,
        "priority": None, "language": None, "coverage": None, "ack": "none", "review": [],
        "reason": f"Allerede behandlet (udfald: {original_outcome})",
    }


def quarantine_decision(mail: ParsedMail | None, message_id: str | None, reason: str, rule: str) -> dict[str, Any]:
    return {
        "message_id": mail.message_id if mail else message_id,
        "from": mail.from_address if mail else None,
        "subject": mail.subject if mail else None,
        "outcome": str(Outcome.QUARANTINED), "ticket": None, "customer": None, "contact": None,
        "devices": [], "category": None, "priority": None, "language": None, "coverage": None,
        "ack": "none", "review": ["quarantined"], "reason": reason, "rule": rule,
    }
