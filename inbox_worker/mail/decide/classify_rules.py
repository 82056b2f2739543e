"""Validate rules/classify.toml and rules/devices.toml into compiled vocabularies (read by mail/rulebook.py).

Any mistake (unknown key, unknown category or device kind, duplicate id, broken pattern) stops
start-up with one line naming the file and the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inbox_worker.domain.vocabulary import CATEGORIES, DEVICE_KINDS
from inbox_worker.errors import UserError
from inbox_worker.mail.decide.terms import Entry, Lexicon, TermError

_SETTINGS = {"subject_weight": 2.0, "min_score": 2.0, "min_confidence": 0.4, "device_weight": 2.0,
             "emergency_weight": 12.0, "intent_factor": 1.5, "reply_subject_weight": 0.5}


@dataclass(frozen=True)
class EmergencyRule:
    id: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    category: str | None = None  # what such an emergency is evidence of (ransomware: security)


@dataclass(frozen=True)
class ClassifyRules:
    categories: tuple[str, ...]  # in file order: the earlier wins a tie
    lexicon: Lexicon  # every category's terms, labelled with the category
    device_evidence: dict[str, str]  # device kind -> category
    emergencies: tuple[EmergencyRule, ...]
    cancel: tuple[re.Pattern[str], ...]
    subject_weight: float
    min_score: float
    min_confidence: float
    device_weight: float
    emergency_triggers: Lexicon  # each emergency rule's trigger words, labelled with the rule id
    emergency_weight: float
    intents: frozenset[str]  # categories about what the sender wants rather than what is broken
    faults: Lexicon  # words of something being broken
    intent_factor: float
    reply_subject_weight: float
    resolved: tuple[re.Pattern[str], ...]  # sentences saying something is fine again
    cancel_mail: tuple[re.Pattern[str], ...]  # anywhere in the mail: a question, not an emergency


@dataclass(frozen=True)
class KindVocabulary:
    id: str
    personal: bool
    kinds: tuple[str, ...]  # registry kinds the words may mean, in order of preference


@dataclass(frozen=True)
class DeviceKindRules:
    kinds: dict[str, KindVocabulary]
    lexicon: Lexicon  # every kind's words, labelled with the kind's id
    general_categories: frozenset[str] = frozenset()  # mails about kinds in general: no link by kind


def _only(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise UserError(f"{where}: ukendt felt '{unknown[0]}'")


def _entries(label: str, value: Any, where: str) -> list[Entry]:
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        value = dict.fromkeys(value, 1.0)
    if not isinstance(value, dict) or not all(
            isinstance(w, int | float) and not isinstance(w, bool) for w in value.values()):
        raise UserError(f"{where}: 'terms' skal være en liste af ord eller en tabel med ord = vægt")
    return [Entry(label, term, float(weight)) for term, weight in value.items()]


def _lexicon(entries: list[Entry], where: str) -> Lexicon:
    try:
        return Lexicon(entries)
    except TermError as exc:
        raise UserError(f"{where}: ugyldigt ord {exc}") from None


def _pattern(text: Any, where: str) -> re.Pattern[str]:
    if not isinstance(text, str):
        raise UserError(f"{where}: et mønster skal være en tekst")
    try:
        return re.compile(text[3:] if text.startswith("re:") else r"\b" + re.escape(text.lower()) + r"\b")
    except re.error as exc:
        raise UserError(f"{where}: ugyldigt mønster {text!r}: {exc}") from None


def _categories(rows: Any, where: str) -> tuple[tuple[str, ...], Lexicon, frozenset[str]]:
    found: list[str] = []
    intents: set[str] = set()
    entries: list[Entry] = []
    for index, row in enumerate(rows if isinstance(rows, list) else [], start=1):
        label = f"{where}: kategori {index}"
        _only(row, {"id", "terms", "description", "intent"}, label)
        if row.get("id") not in CATEGORIES or row["id"] == "other":
            raise UserError(f"{label}: ukendt kategori {row.get('id')!r} (kendte: {', '.join(CATEGORIES[:-1])})")
        if row["id"] in found:
            raise UserError(f"{label}: kategorien '{row['id']}' står der to gange")
        found.append(row["id"])
        if row.get("intent", False) is True:
            intents.add(row["id"])
        entries += _entries(row["id"], row.get("terms"), f"{label} ({row['id']})")
    return tuple(found), _lexicon(entries, where), frozenset(intents)


def _emergencies(data: Any, where: str) -> tuple[tuple[EmergencyRule, ...], tuple[re.Pattern[str], ...], Lexicon]:
    if not isinstance(data, dict):
        raise UserError(f"{where}: [emergency] skal være en tabel")
    _only(data, {"cancel", "cancel_mail", "rule"}, f"{where} [emergency]")
    cancel = tuple(_pattern(p, f"{where} [emergency].cancel") for p in data.get("cancel", []))
    rules: list[EmergencyRule] = []
    triggers: list[Entry] = []
    for index, row in enumerate(data.get("rule", []), start=1):
        label = f"{where}: akut-regel {index}"
        _only(row, {"id", "reason", "patterns", "triggers", "category"}, label)
        if not isinstance(row.get("id"), str) or any(r.id == row["id"] for r in rules):
            raise UserError(f"{label}: skal have et 'id', der ikke er brugt før")
        if not row.get("triggers"):
            raise UserError(f"{label} ({row['id']}): mangler 'triggers', de ord, der gør mønstrene værd at læse")
        patterns = tuple(_pattern(p, f"{label} ({row['id']})") for p in row.get("patterns", []))
        category = row.get("category")
        if category is not None and category not in CATEGORIES:
            raise UserError(f"{label} ({row['id']}): ukendt kategori {category!r}")
        rules.append(EmergencyRule(row["id"], str(row.get("reason", row["id"])), patterns, category))
        triggers += _entries(row["id"], row["triggers"], f"{label} ({row['id']})")
    return tuple(rules), cancel, _lexicon(triggers, where)


def classify_rules_from(data: dict[str, Any], where: str) -> ClassifyRules:
    """The vocabularies of rules/classify.toml, validated and compiled (read by mail/rulebook.py)."""
    _only(data, {"settings", "device_evidence", "category", "emergency", "fault", "resolved"}, where)
    settings = dict(_SETTINGS)
    for key, value in data.get("settings", {}).items():
        if key not in _SETTINGS or not isinstance(value, int | float) or isinstance(value, bool):
            raise UserError(f"{where}: [settings] {key}: ukendt indstilling eller ikke et tal")
        settings[key] = float(value)
    evidence = data.get("device_evidence", {})
    for kind, category in evidence.items():
        if kind not in DEVICE_KINDS or category not in CATEGORIES:
            raise UserError(f"{where}: [device_evidence] {kind} = {category!r}: ukendt enhedstype eller kategori")
    emergencies, cancel, triggers = _emergencies(data.get("emergency", {}), where)
    categories, lexicon, intents = _categories(data.get("category"), where)
    fault = data.get("fault", {})
    _only(fault, {"terms"}, f"{where} [fault]")
    faults = _lexicon(_entries("fault", fault.get("terms", []), f"{where} [fault]"), where)
    resolved_table = data.get("resolved", {})
    _only(resolved_table, {"patterns"}, f"{where} [resolved]")
    resolved = tuple(_pattern(p, f"{where} [resolved]") for p in resolved_table.get("patterns", []))
    emergency_table = data.get("emergency", {})
    cancel_mail = tuple(_pattern(p, f"{where} [emergency].cancel_mail") for p in emergency_table.get("cancel_mail", []))
    return ClassifyRules(categories, lexicon, dict(evidence), emergencies, cancel,
                         settings["subject_weight"], settings["min_score"], settings["min_confidence"],
                         settings["device_weight"], triggers, settings["emergency_weight"], intents, faults,
                         settings["intent_factor"], settings["reply_subject_weight"], resolved, cancel_mail)


def device_kinds_from(data: dict[str, Any], where: str) -> DeviceKindRules:
    """The device-kind words of rules/devices.toml, validated and compiled (read by mail/rulebook.py)."""
    _only(data, {"kind", "settings"}, where)
    settings = data.get("settings", {})
    _only(settings, {"general_categories"}, f"{where} [settings]")
    general = settings.get("general_categories", [])
    if not isinstance(general, list) or any(c not in CATEGORIES for c in general):
        raise UserError(f"{where}: [settings] general_categories skal være en liste af kategorier")
    found: dict[str, KindVocabulary] = {}
    entries: list[Entry] = []
    for index, row in enumerate(data.get("kind", []), start=1):
        label = f"{where}: enhedstype {index}"
        _only(row, {"id", "personal", "kinds", "terms"}, label)
        kinds = row.get("kinds", [row.get("id")])
        if not isinstance(row.get("id"), str) or row["id"] in found:
            raise UserError(f"{label}: skal have et 'id', der ikke er brugt før")
        if not isinstance(kinds, list) or not kinds or any(k not in DEVICE_KINDS for k in kinds):
            raise UserError(f"{label} ({row['id']}): 'kinds' skal nævne enhedstyper fra registret")
        found[row["id"]] = KindVocabulary(row["id"], bool(row.get("personal", False)), tuple(kinds))
        entries += _entries(row["id"], row.get("terms"), f"{label} ({row['id']})")
    return DeviceKindRules(found, _lexicon(entries, where), frozenset(general))
