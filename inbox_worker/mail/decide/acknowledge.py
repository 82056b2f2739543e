"""Should the sender get an acknowledgement? Never to automatic mail, own mail, or a sender in a storm. Pure."""

from __future__ import annotations

from inbox_worker.domain.addresses import is_own, is_safe_address
from inbox_worker.domain.types import AckDecision, MailContext, Outcome, ParsedMail, Trace


def decide_ack(
    mail: ParsedMail, outcome: Outcome, review: list[str], context: MailContext, max_per_hour: int,
    own_addresses: frozenset[str], trace: Trace,
) -> AckDecision:
    if outcome != Outcome.NEW_TICKET:
        trace.add("acknowledge", "ack-only-new-tickets", "none", f"Udfaldet er {outcome}: ingen kvittering")
        return AckDecision(False, None)
    reason = None
    if not is_safe_address(mail.from_address) or is_own(mail.from_address, own_addresses):
        reason = "no-answerable-sender"
    elif "spoof-suspected" in review:
        reason = "spoof-suspected"
    elif context.acks_to_sender_last_hour >= max_per_hour:
        reason = "rate-limit"
    if reason:
        why = {
            "no-answerable-sender": "Afsenderen kan ikke besvares",
            "spoof-suspected": "Afsenderen er muligvis forfalsket",
            "rate-limit": f"Afsenderen har fået {context.acks_to_sender_last_hour} kvitteringer den seneste time "
                          f"(grænse {max_per_hour}): mulig mailløkke",
        }[reason]
        trace.add("acknowledge", f"ack-suppressed-{reason}", "suppressed", why)
        return AckDecision(False, reason)
    trace.add("acknowledge", "ack-new-ticket", "queued", f"Ny sag: kvittering til {mail.from_address}")
    return AckDecision(True, None)
