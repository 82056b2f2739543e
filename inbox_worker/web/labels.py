"""Danish labels for the values the UI shows (status, priority, coverage, category, review flags)."""

from __future__ import annotations

STATUS = {"open": "Åben", "waiting": "Afventer kunde", "closed": "Lukket"}
PRIORITY = {"emergency": "Akut", "high": "Høj", "normal": "Normal", "low": "Lav"}
COVERAGE = {"covered": "Dækket", "billable": "Faktureres", "undetermined": "Uafklaret"}
CATEGORY = {
    "network": "Netværk", "printer": "Printer", "computer": "Computer", "mobile": "Mobil", "server": "Server",
    "backup": "Backup", "account": "Konto", "security": "Sikkerhed", "software": "Software",
    "replacement": "Udskiftning", "advice": "Rådgivning", "visit": "Besøg", "admin": "Administration",
    "other": "Andet",
}
REVIEW = {
    "emergency": "Akut", "unknown-sender": "Ukendt afsender", "spoof-suspected": "Mistanke om forfalskning",
    "low-confidence": "Usikker klassificering", "billable": "Faktureres", "unknown-contact": "Ukendt kontakt",
    "quarantined": "I karantæne", "ack-rate-limit": "Kvitteringsgrænse nået",
    "message-id-reused": "Message-ID brugt før af en anden mail",
}
ENTRY = {"inbound": "Mail fra kunden", "outbound": "Mail til kunden", "note": "Internt notat",
         "event": "Hændelse", "phone": "Telefonopkald"}
AGREEMENT = {"active": "Aktiv", "trial": "Prøveperiode", "terminated": "Opsagt", "none": "Ingen aftale"}
ACTION = {
    "link-customer": "Koblet til kunde", "link-device": "Enhed tilknyttet", "unlink-device": "Enhed fjernet",
    "set-category": "Kategori ændret", "set-priority": "Prioritet ændret", "set-status": "Status ændret",
    "assign": "Tildelt", "note": "Notat", "reply": "Svar sendt", "merge": "Flettet ind i anden sag",
    "merged-in": "Anden sag flettet ind", "reviewed": "Markeret som gennemset", "phone-ticket": "Oprettet fra telefon",
    "set-coverage": "Dækning ændret", "log-time": "Tid registreret", "correct-time": "Tid rettet",
    "set-targets": "Frister ændret",
    "quarantine-reprocess": "Mail behandlet igen fra karantæne", "outbox-retry": "Mail sendt igen",
    "outbox-cancel": "Mail annulleret",
}
OUTCOME = {"new_ticket": "Ny sag", "updated_ticket": "Sag opdateret", "reopened_ticket": "Sag genåbnet",
           "duplicate": "Dublet", "ignored": "Ignoreret (automatisk mail)", "quarantined": "I karantæne"}
ACK = {"queued": "sendes", "suppressed": "holdt tilbage", "none": "ingen"}

ALL = {"status": STATUS, "priority": PRIORITY, "coverage": COVERAGE, "category": CATEGORY, "review": REVIEW,
       "entry": ENTRY, "agreement": AGREEMENT, "action": ACTION, "outcome": OUTCOME, "ack": ACK}


def label(value: object, kind: str) -> str:
    text = "" if value is None else str(value)
    return ALL.get(kind, {}).get(text, text)


def duration(minutes: int) -> str:
    """Minutes for staff: "1 t 15 min", "45 min", "-15 min"."""
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{sign}{rest} min"
    return f"{sign}{hours} t" + (f" {rest} min" if rest else "")



