"""Danish words for the values staff read, in the web UI and on the command line (status, outcome, coverage...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
# An outbound entry is labelled by what its outbox row is: the on-call notice is no mail to the customer.
OUTBOUND_ENTRY = {"ack": "Kvittering", "reply": "Svar", "oncall": "Vagtbesked", "warning": "Fristvarsel",
                  "alert": "Driftsadvarsel", "summary": "Ugeoversigt"}
# Device kinds of the registry (registry.toml `kind`): singular, plural, and the noun with its article.
DEVICE_KIND = {
    "computer": ("computer", "computere", "en computer"), "server": ("server", "servere", "en server"),
    "nas": ("netværksdrev (NAS)", "netværksdrev", "et netværksdrev"),
    "printer": ("printer", "printere", "en printer"), "copier": ("kopimaskine", "kopimaskiner", "en kopimaskine"),
    "scanner": ("scanner", "scannere", "en scanner"), "camera": ("kamera", "kameraer", "et kamera"),
    "phone": ("telefon", "telefoner", "en telefon"), "tablet": ("tablet", "tablets", "en tablet"),
    "router": ("router", "routere", "en router"), "firewall": ("firewall", "firewalls", "en firewall"),
    "switch": ("switch", "switche", "en switch"), "access-point": ("accesspoint", "accesspoints", "et accesspoint"),
    "network": ("netværksudstyr", "netværksudstyr", "noget netværksudstyr"), "other": ("anden enhed", "andre enheder",
                                                                                         "en anden enhed"),
}
AGREEMENT = {"active": "Aktiv", "trial": "Prøveperiode", "terminated": "Opsagt", "none": "Ingen aftale"}
ACTION = {
    "link-customer": "Koblet til kunde", "link-device": "Enhed tilknyttet", "unlink-device": "Enhed fjernet",
    "set-category": "Kategori ændret", "set-priority": "Prioritet ændret", "set-status": "Status ændret",
    "assign": "Tildelt", "note": "Notat", "reply": "Svar sendt", "merge": "Flettet ind i anden sag",
    "merged-in": "Anden sag flettet ind", "reviewed": "Markeret som gennemset", "phone-ticket": "Oprettet fra telefon",
    "set-coverage": "Dækning ændret", "log-time": "Tid registreret", "correct-time": "Tid rettet",
    "quarantine-reprocess": "Mail behandlet igen fra karantæne", "outbox-retry": "Mail sendt igen",
    "outbox-cancel": "Mail annulleret", "set-targets": "Frister ændret", "profile": "Profil ændret",
    "create-customer": "Kunde oprettet", "create-contact": "Kontakt oprettet",
    "privacy-export": "Persondata udleveret", "privacy-erase": "Persondata slettet",
}
OUTCOME = {"new_ticket": "Ny sag", "updated_ticket": "Sag opdateret", "reopened_ticket": "Sag genåbnet",
           "duplicate": "Dublet", "ignored": "Ignoreret (automatisk mail)", "quarantined": "I karantæne"}
ACK = {"queued": "sendes", "suppressed": "holdt tilbage", "none": "ingen"}
RAW_STATE = {"received": "modtaget, ikke behandlet endnu", "processed": "behandlet",
             "duplicate": "kopi af en tidligere mail", "superseded": "erstattet af en senere kopi"}
ACK_LINE = {"queued": "kvittering sendes", "suppressed": "kvittering holdt tilbage", "none": "ingen kvittering"}
OUTBOX_STATUS = {"failed": "Fejlet", "uncertain": "Usikker", "queued": "I kø", "sending": "Sendes", "sent": "Sendt",
                 "cancelled": "Annulleret"}
OUTBOX_KIND = {"ack": "Kvittering", "reply": "Svar", "summary": "Ugeoversigt", "oncall": "Vagtbesked",
               "alert": "Driftsadvarsel", "warning": "Fristvarsel"}
# How many of each outcome, in the order of interface.md: (one, several), as in "1 ny sag", "20 nye sager".
OUTCOME_COUNT = {
    "new_ticket": ("ny sag", "nye sager"), "updated_ticket": ("opdateret sag", "opdaterede sager"),
    "reopened_ticket": ("genåbnet sag", "genåbnede sager"), "duplicate": ("dublet", "dubletter"),
    "ignored": ("ignoreret", "ignorerede"), "quarantined": ("i karantæne", "i karantæne"),
}

ALL = {"status": STATUS, "priority": PRIORITY, "coverage": COVERAGE, "category": CATEGORY, "review": REVIEW,
       "entry": ENTRY, "agreement": AGREEMENT, "action": ACTION, "outcome": OUTCOME, "ack": ACK,
       "outbox": OUTBOX_STATUS, "kind": OUTBOX_KIND, "raw": RAW_STATE,
       "device": {kind: forms[0] for kind, forms in DEVICE_KIND.items()}, "outbound": OUTBOUND_ENTRY}


def label(value: object, kind: str) -> str:
    text = "" if value is None else str(value)
    return ALL.get(kind, {}).get(text, text)


def device_kind(kind: str, form: int = 0) -> str:
    """A device kind in Danish: 0 singular ("telefon"), 1 plural ("telefoner"), 2 with its article ("en telefon")."""
    forms = DEVICE_KIND.get(kind)
    return forms[form] if forms else (kind if form < 2 else f"en {kind}")


def count(number: int, one: str, several: str) -> str:
    """A number with the Danish singular or plural: "1 sag", "0 sager", "3 sager"."""
    return f"{number} {one if number == 1 else several}"


def outcome_counts(counts: Mapping[str, int]) -> str:
    """How a batch of mail went, outcome by outcome in the order of interface.md: "20 nye sager, 1 ignoreret"."""
    order = [*OUTCOME_COUNT, *sorted(set(counts) - set(OUTCOME_COUNT))]
    parts = [count(counts[outcome], *OUTCOME_COUNT.get(outcome, (outcome, outcome)))
             for outcome in order if counts.get(outcome)]
    return ", ".join(parts) or "ingen mail"


def decision_line(decision: Mapping[str, Any]) -> str:
    """A decision object for a person: "Ny sag #21, kvittering sendes" or "I karantæne, ingen kvittering (...)"."""
    ticket = f" #{decision['ticket']}" if decision.get("ticket") else ""
    ack = str(decision.get("ack") or "none")
    text = f"{label(decision.get('outcome'), 'outcome')}{ticket}, {ACK_LINE.get(ack, ack)}"
    why = decision.get("reason") or decision.get("ack_reason")
    return f"{text} ({why})" if why else text


def duration(minutes: int) -> str:
    """Minutes for staff: "1 t 15 min", "45 min", "-15 min"."""
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{sign}{rest} min"
    return f"{sign}{hours} t" + (f" {rest} min" if rest else "")
