"""Does a mail's ticket call for the on-call person, and where does the notice go? Pure.

A ticket that becomes an emergency gets one notice: outside opening hours (weekends, public
holidays and configured closed days included) to the on-call address, which may be an
email-to-SMS gateway; within hours to the staff address. Never to a customer, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_worker.domain.enums import Outcome, Priority
from inbox_worker.domain.types import OncallNotice, RegistrySnapshot, Trace


@dataclass(frozen=True)
class OncallAddresses:
    oncall: str  # outside opening hours: company.oncall_address
    staff: str  # within opening hours: company.staff_address


def decide_oncall(outcome: Outcome, priority: Priority, outside_hours: bool, already_notified: bool,
                  addresses: OncallAddresses, registry: RegistrySnapshot, trace: Trace) -> OncallNotice | None:
    if priority != Priority.EMERGENCY:
        return None
    if outcome not in (Outcome.NEW_TICKET, Outcome.UPDATED_TICKET, Outcome.REOPENED_TICKET):
        return None
    if already_notified:
        trace.add("oncall", "oncall-already-notified", "none", "Sagen har allerede fået sin ene vagtbesked")
        return None
    recipient = (addresses.oncall if outside_hours else addresses.staff).strip().lower()
    if not recipient or recipient in registry.contacts_by_address:
        trace.add("oncall", "oncall-refused", "none",
                  f"Vagtadressen {recipient or '(tom)'} er en kundes adresse eller mangler: ingen besked")
        return None
    where = "vagttelefonen (uden for åbningstid)" if outside_hours else "supportteamet (inden for åbningstid)"
    trace.add("oncall", "oncall-outside-hours" if outside_hours else "oncall-within-hours", recipient,
              f"Akut sag: besked til {where} på {recipient}")
    return OncallNotice(recipient, outside_hours)
