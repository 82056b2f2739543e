"""The export's JSON documents, one per kind: English keys, times in Copenhagen time with their UTC offset.

Pure: rows read by collect.py and the file names the archive gave them in, documents out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from inbox_worker.features.privacy.collect import Collected
from inbox_worker.features.privacy.scope import ScopeKind
from inbox_worker.store.models import AttachmentRecord, Contact, Customer, Device, OutboxAttachment, Ticket, TicketEntry


class Clock:
    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)

    def at(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.zone).isoformat() if moment is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def contact_json(contact: Contact) -> dict[str, Any]:
    aliases = sorted({a.lower() for a in (*contact.aliases, *contact.staff_aliases)})
    return {"id": contact.id, "email": contact.email, "aliases": aliases,
            "staff_aliases": sorted(contact.staff_aliases), "name": contact.name, "phone": contact.phone,
            "packages": list(contact.packages), "language": contact.language, "origin": contact.origin}


def customer_record(customer: Customer) -> dict[str, Any]:
    return {"key": customer.key, "name": customer.name, "domains": list(customer.domains),
            "agreement": customer.agreement, "agreement_end": _day(customer.agreement_end),
            "packages": list(customer.packages), "contact_person": customer.contact_person,
            "account_manager": customer.account_manager, "language": customer.language,
            "weekly_summary": customer.weekly_summary, "exceptions": list(customer.exceptions),
            "origin": customer.origin}


def device_json(device: Device) -> dict[str, Any]:
    return {"tag": device.tag, "kind": device.kind, "name": device.name, "hostname": device.hostname,
            "serial": device.serial, "model": device.model, "user": device.user_email, "primary": device.primary,
            "packages": list(device.packages), "extra_network": device.extra_network}


def registry_json(collected: Collected) -> tuple[str, dict[str, Any]]:
    """person.json (the contact, or only the address) or customer.json (the customer, its contacts and devices)."""
    scope, devices = collected.scope, [device_json(d) for d in collected.registry_devices]
    if scope.kind == ScopeKind.CUSTOMER:
        assert scope.customer is not None
        return "customer.json", {"customer": customer_record(scope.customer),
                                 "contacts": [contact_json(c) for c in scope.contacts], "devices": devices}
    customer = {"key": scope.customer.key, "name": scope.customer.name} if scope.customer else None
    return "person.json", {"contact": contact_json(scope.contact) if scope.contact else None,
                           "addresses": sorted(scope.addresses), "customer": customer,
                           "contact_person_of": collected.contact_person_of, "devices": devices}


def _entry(entry: TicketEntry, clock: Clock, files: dict[int, str]) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind, "at": clock.at(entry.created_at), "author": entry.author,
            "subject": entry.subject, "text": entry.body_text,
            "mail": files.get(entry.raw_message_id) if entry.raw_message_id else None, "outgoing": entry.outbox_id}


def _clocks(ticket: Ticket, clock: Clock) -> dict[str, Any]:
    return {"rule": ticket.response_rule, "reason": ticket.response_reason, "mode": ticket.clock_mode,
            "first_response_minutes": ticket.first_response_minutes, "resolution_minutes": ticket.resolution_minutes,
            "started": clock.at(ticket.clock_started_at), "first_response_due": clock.at(ticket.first_response_due_at),
            "first_response": clock.at(ticket.first_response_at), "resolution_due": clock.at(ticket.resolution_due_at),
            "resolved": clock.at(ticket.resolved_at), "paused_since": clock.at(ticket.paused_at),
            "paused_minutes": ticket.paused_minutes}


def _ticket(collected: Collected, ticket: Ticket, clock: Clock, files: dict[int, str]) -> dict[str, Any]:
    own = ticket.id in collected.own
    decisions = [{"mail": d.raw_message_id, "at": clock.at(d.created_at), "outcome": d.outcome, "decision": d.decision}
                 for m in collected.mails if m.ticket == ticket.id for d in collected.decisions.get(m.id, [])]
    return {
        "ticket": ticket.id, "own": own, "subject": ticket.subject, "status": ticket.status,
        "customer": collected.customer_keys.get(ticket.customer_id or 0), "contact": ticket.contact_email,
        "from": ticket.from_address, "category": ticket.category, "priority": ticket.priority,
        "language": ticket.language, "coverage": ticket.coverage, "review": list(ticket.review),
        "assignee": ticket.assignee, "created": clock.at(ticket.created_at), "updated": clock.at(ticket.updated_at),
        "closed": clock.at(ticket.closed_at), "merged_into": ticket.merged_into_id,
        "previous_ticket": ticket.previous_ticket_id, "devices": collected.devices.get(ticket.id, []),
        "response": _clocks(ticket, clock) if own else None,
        "entries": [_entry(e, clock, files) for e in collected.entries.get(ticket.id, [])],
        "decisions": decisions,
        "coverage_overrides": [{"at": clock.at(o.created_at), "by": o.by, "status": o.status, "rate_dkk": o.rate_dkk,
                                "reason": o.reason, "previous": o.previous}
                               for o in collected.overrides if o.ticket_id == ticket.id],
        "clock_events": [{"at": clock.at(e.created_at), "event": e.event, "rule": e.rule, "reason": e.reason,
                          "actor": e.actor, "first_response_due": clock.at(e.first_response_due_at),
                          "resolution_due": clock.at(e.resolution_due_at)}
                         for e in collected.clock_events if e.ticket_id == ticket.id],
    }


def tickets_json(collected: Collected, clock: Clock, files: dict[int, str]) -> dict[str, Any]:
    return {"tickets": [_ticket(collected, t, clock, files) for t in collected.tickets],
            "entries_left_out": collected.left_out}


def attachment_json(record: AttachmentRecord | OutboxAttachment, file: str | None) -> dict[str, Any]:
    return {"id": record.id, "filename": record.filename, "content_type": record.content_type, "size": record.size,
            "sha256": record.sha256, "file": file,
            "not_stored": getattr(record, "skipped_reason", None) if record.stored_path is None else None}


def mails_json(collected: Collected, clock: Clock, files: dict[int, str], stored: dict[str, str]) -> dict[str, Any]:
    """Every mail: its file, the sha256 stored when it arrived, what became of it, its attachments and decisions."""
    by_mail: dict[int, list[dict[str, Any]]] = {}
    for record in collected.mail_attachments:
        by_mail.setdefault(record.raw_message_id, []).append(attachment_json(record, stored.get(f"mail-{record.id}")))
    return {"mails": [{
        "id": m.id, "file": files.get(m.id), "sha256": m.sha256, "size": m.size, "message_id": m.message_id,
        "from": m.sender, "received": clock.at(m.received_at), "arrived": clock.at(m.arrived_at), "state": m.state,
        "outcome": m.outcome, "quarantined": m.quarantined, "ticket": m.ticket, "copy_of": m.duplicate_of,
        "attachments": by_mail.get(m.id, []),
        "decisions": [{"at": clock.at(d.created_at), "outcome": d.outcome, "ticket": d.ticket_id,
                       "decision": d.decision, "trace": d.trace} for d in collected.decisions.get(m.id, [])],
    } for m in collected.mails]}


def time_entries_json(collected: Collected, clock: Clock) -> dict[str, Any]:
    return {"time_entries": [{
        "id": e.id, "ticket": e.ticket_id, "work_date": _day(e.work_date), "minutes": e.minutes, "by": e.by,
        "note": e.note, "coverage": e.status, "rate_dkk": e.rate_dkk, "rule": e.rule, "corrects": e.corrects_id,
        "created": clock.at(e.created_at)} for e in collected.time_entries]}


def outgoing_json(collected: Collected, clock: Clock, files: dict[int, str], stored: dict[str, str]) -> dict[str, Any]:
    by_row: dict[int, list[dict[str, Any]]] = {}
    for record in collected.outgoing_attachments:
        by_row.setdefault(record.outbox_id, []).append(attachment_json(record, stored.get(f"sent-{record.id}")))
    return {"outgoing": [{
        "id": r.id, "kind": r.kind, "ticket": r.ticket_id, "recipient": r.recipient, "cc": list(r.cc or []),
        "subject": r.subject, "status": r.status, "message_id": r.message_id, "queued": clock.at(r.created_at),
        "sent": clock.at(r.sent_at), "file": files.get(r.id), "attachments": by_row.get(r.id, [])}
        for r in collected.outgoing]}


def summaries_json(collected: Collected, clock: Clock, files: dict[int, str],
                   texts: dict[int, str | None]) -> dict[str, Any]:
    rows = {r.id: r for r in collected.outgoing}
    result = []
    for summary in collected.summaries:
        row = rows.get(summary.outbox_id)
        result.append({"week": summary.week, "customer": collected.customer_keys.get(summary.customer_id),
                       "queued": clock.at(summary.created_at), "outgoing": summary.outbox_id,
                       "recipient": row.recipient if row else None, "subject": row.subject if row else None,
                       "status": row.status if row else None, "sent": clock.at(row.sent_at) if row else None,
                       "file": files.get(summary.outbox_id), "text": texts.get(summary.outbox_id)})
    return {"summaries": result}


def audit_json(collected: Collected, clock: Clock) -> dict[str, Any]:
    return {"audit": [{"id": a.id, "at": clock.at(a.created_at), "actor": a.actor, "action": a.action,
                       "ticket": a.ticket_id, "customer": collected.customer_keys.get(a.customer_id or 0),
                       "details": a.details} for a in collected.audit]}


def access_json(collected: Collected, clock: Clock) -> dict[str, Any]:
    return {"access_log": [{"id": a.id, "at": clock.at(a.at), "actor": a.actor, "action": a.action,
                            "ticket": a.ticket_id, "customer": collected.customer_keys.get(a.customer_id or 0),
                            "attachment": a.attachment_id, "what": a.what} for a in collected.access]}
