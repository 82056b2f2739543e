"""A trace entry (stage, rule, result, reason, details) as a Danish sentence with readable details.

The ticket page shows the trace this way; the stored trace (and `explain`'s JSON) stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from inbox_worker.domain.readable import details_text

STAGE = {
    "dedupe": "Kopier", "guard": "Sortering", "link": "Afsender og kunde", "thread": "Tråd",
    "classify": "Klassificering", "devices": "Enheder", "priority": "Prioritet", "coverage": "Dækning",
    "response": "Svarfrister", "acknowledge": "Kvittering", "escalate": "Eskalering", "oncall": "Vagt",
    "phone": "Telefonsag", "sanity": "Kontrol",
}
# What a rule's result means, where the reason alone does not say it.
RESULT = {"accept": "behandles", "quarantine": "i karantæne", "ignore": "ignoreres", "none": "intet",
          "new": "ny sag", "reopen": "genåbnes", "update": "opdaterer sagen", "process": "behandles"}


@dataclass(frozen=True)
class TraceLine:
    stage: str  # in Danish
    sentence: str
    rule: str  # the rule id as in the rules files (staff look it up there)
    details: list[tuple[str, str]]


def _sentence(reason: str, result: str) -> str:
    text = " ".join(reason.split())
    if not text:
        return f"Resultat: {RESULT.get(result, result)}." if result else "Ingen begrundelse registreret."
    return text if text.endswith((".", "!", "?", ")", '"')) else f"{text}."


def trace_line(step: Mapping[str, Any], zone: ZoneInfo) -> TraceLine:
    """One stored trace step for a person; a step missing fields (an old or odd row) still reads."""
    stage = str(step.get("stage") or "")
    details = step.get("details")
    return TraceLine(STAGE.get(stage, stage.capitalize() or "Trin"),
                     _sentence(str(step.get("reason") or ""), str(step.get("result") or "")),
                     str(step.get("rule") or ""),
                     details_text(details, zone) if isinstance(details, Mapping) else [])


def trace_lines(trace: Any, zone: ZoneInfo) -> list[TraceLine]:
    return [trace_line(step, zone) for step in trace if isinstance(step, Mapping)] if isinstance(trace, list) else []
