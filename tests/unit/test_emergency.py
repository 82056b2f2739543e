"""Emergencies: acute, fatal failures of vital equipment, in the sender's own present words."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_worker.mail import rulebook
from inbox_worker.mail.decide.emergency import find_emergency

RULES = rulebook.classify(Path(__file__).resolve().parents[2] / "inbox_worker" / "rules" / "classify.toml")


@pytest.mark.parametrize("text, rule", [
    ("Serveren er nede, og ingen kan arbejde.", "emergency-server-down"),
    ("Vores NAS er gået ned i nat", "emergency-server-down"),
    ("The server is down since 7 this morning", "emergency-server-down"),
    ("Der er vand på gulvet i serverrummet!", "emergency-flooding"),
    ("Kælderen står under vand og racket er derude", "emergency-flooding"),
    ("Alle vores filer er blevet krypteret og der er en besked om løsesum", "emergency-ransomware"),
    ("We have been hit by ransomware", "emergency-ransomware"),
    ("Der er brand i bygningen, brandvæsenet er her", "emergency-fire"),
    ("Vi har ikke noget internet på kontoret", None),  # not a pattern we trust: 'ikke noget' is too loose
    ("Internettet er helt nede i hele butikken", "emergency-no-internet"),
    ("We have no internet at all in the office", "emergency-no-internet"),
    ("Hele kontoret står stille", "emergency-office-stopped"),
    ("Nobody in the office can work", "emergency-office-stopped"),
])
def test_acute_failures_are_emergencies(text: str, rule: str | None) -> None:
    signal = find_emergency([text], RULES)
    assert (signal.rule if signal else None) == rule


@pytest.mark.parametrize("text", [
    "Internettet var nede i går, men nu virker det igen.",
    "Serveren er oppe igen, tak for hjælpen.",
    "Min bærbare har intet internet derhjemme.",
    "Hvordan beskytter vi os bedst mod ransomware?",
    "Printeren er løbet tør for toner, det haster lidt.",
    "Gæstenettet er nede, men det haster ikke.",
    "Det er ikke akut, men serveren er nede på testmiljøet? Nej, den er bare langsom.",
    "Vi skal have fire nye pc'er.",
])
def test_calm_or_past_or_personal_troubles_are_not(text: str) -> None:
    assert find_emergency([text], RULES) is None
