"""Does a mail's ticket call for the on-call person, and where does the notice go? Pure.

A ticket that becomes an emergency gets one notice: outside opening hours (weekends, public
holidays and configured closed days included) to the on-call address, which may be an
email-to-SMS gateway; within hours to the staff address. Never to a customer.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_worker.domain.types import Outcome, RegistrySnapshot, Trace, WorkItem


@dataclass(frozen=True)
class OncallDecision:
    recipient: str
    outside_hours: bool


def decide_oncall(item: WorkItem, already_notified: bool, oncall_address: str, staff_address: str,
                  registry: RegistrySnapshot, trace: Trace) -> OncallDecision | None:
    classification = item.classification
    if classification is None or classification.priority != "emergency":
        return None
    if item.outcome not in (Outcome.NEW_TICKET, Outcome.UPDATED_TICKET, Outcome.REOPENED_TICKET):
        return None
    if already_notified:
        trace.add("oncall", "oncall-already-notified", "none", "Sagen har allerede fået sin ene vagtbesked")
        return None
    outside = classification.outside_hours
    recipient = (oncall_address if outside else staff_address).strip().lower()
    if not recipient or recipient in registry.contacts_by_address:
        trace.add("oncall", "oncall-refused", "none",
                  f"Vagtadressen {recipient or '(tom)'} er en kundes adresse eller mangler: ingen besked")
        return None
    where = "vagttelefonen (uden for åbningstid)" if outside else "supportteamet (inden for åbningstid)"
    trace.add("oncall", "oncall-outside-hours" if outside else "oncall-within-hours", recipient,
              f"Akut sag: besked til {where} på {recipient}")
    return OncallDecision(recipient, outside)
