"""Values of a trace or an audit entry as staff read them: Danish words, local times, no JSON and no escapes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from inbox_worker.domain.labels import label

# Detail keys (trace details, audit details, coverage facts) in Danish; a key not listed is shown as written.
KEY = {
    "matched": "matchede ord", "tried": "prøvede regler", "scores": "point", "confidence": "sikkerhed",
    "rate_dkk": "sats", "package": "pakke", "facts": "fakta", "raw_ids": "rå mails", "devices": "enheder",
    "first_response_due": "første svar senest", "resolution_due": "løst senest", "clock": "svarfrist",
    "previous_ticket": "tidligere sag", "days": "dage", "event": "hændelse", "action": "handling",
    "rule": "regel", "reason": "begrundelse", "kind_linked": "koblet på slags", "agreement": "aftale",
    "category": "kategori", "priority": "prioritet", "customer_packages": "kundens pakker",
    "contact_packages": "kontaktens pakker", "device": "enhed", "device_packages": "enhedens pakker",
    "visits_used": "besøg brugt", "visits_allowed": "besøg i aftalen", "status": "status", "coverage": "dækning",
    "minutes": "minutter", "entry": "registrering", "work_date": "arbejdsdag", "to": "til", "outbox": "udbakke",
    "kind": "slags", "was": "var", "attempts": "forsøg", "last_error": "seneste fejl", "raw": "rå mail",
    "outcome": "udfald", "source": "kilde", "customer": "kunde", "customer_key": "kunde", "contact": "kontakt",
    "alias_added": "nyt alias", "into": "flettet ind i", "length": "tegn", "cleared": "fjernede flag",
    "first_response_minutes": "første svar (min)", "resolution_minutes": "løsning (min)", "response": "svarfrister",
    "before": "før", "fault_words": "fejlord", "after": "efter", "corrects": "retter", "mode": "ur",
}
# Which label table a value of a key is read through (a category id becomes "Printer").
_LABELLED = {"category": "category", "priority": "priority", "status": "status", "coverage": "coverage",
             "outcome": "outcome", "kind": "kind", "was": "outbox", "cleared": "review", "agreement": "agreement"}
CLOCK_EVENT = {
    "started": "fristerne startede", "first-response": "første svar givet", "paused": "løsningsfristen står stille",
    "resumed": "løsningsfristen løber igen", "recomputed": "fristerne beregnet igen", "overridden": "fristerne sat",
    "resolved": "fristerne afsluttet", "reopened": "fristerne startede igen",
}


CLOCK_MODE = {"opening_hours": "i åbningstiden", "around_the_clock": "døgnet rundt"}


def key_text(key: str) -> str:
    return KEY.get(key, key.replace("_", " "))


def moment_text(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def _moment(text: str) -> datetime | None:
    if len(text) < 16 or text[4:5] != "-" or "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def value_text(value: Any, zone: ZoneInfo, key: str = "") -> str:
    """One value for a person: lists joined, mappings as "nøgle: værdi", kroner, percentages, local times."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if key == "rate_dkk" and isinstance(value, int | float):
        return f"{value:g} kr./time"
    if key == "confidence" and isinstance(value, int | float):
        return f"{value:.0%}".replace("%", " %")
    if key == "clock" and isinstance(value, list | tuple):
        return ", ".join(CLOCK_EVENT.get(str(v), str(v)) for v in value) or "–"
    if key == "clock" and str(value) in CLOCK_MODE:
        return CLOCK_MODE[str(value)]
    if key in ("scores", "matched") and isinstance(value, Mapping):  # per category
        return "; ".join(f"{label(str(k), 'category')}: {value_text(v, zone)}" for k, v in value.items())
    if isinstance(value, Mapping):
        return "; ".join(f"{key_text(str(k))}: {value_text(v, zone, str(k))}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v, zone, key) for v in value)
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    text = str(value)
    if (moment := _moment(text)) is not None:
        return moment_text(moment, zone)
    return label(text, _LABELLED[key]) if key in _LABELLED else text


def details_text(details: Mapping[str, Any], zone: ZoneInfo, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(Danish key, readable value) for every detail with a value."""
    return [(key_text(k), value_text(v, zone, k)) for k, v in details.items()
            if k not in skip and v not in (None, "", [], {})]
