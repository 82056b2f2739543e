"""Is this an emergency? An acute, fatal failure of vital equipment, read sentence by sentence. Pure.

A sentence counts when it matches an emergency pattern and none of the cancel patterns (it is over,
it was yesterday, it is one person's laptop at home, it is a question about prevention).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inbox_worker.mail.decide.classify_rules import ClassifyRules

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*[-*•])")


@dataclass(frozen=True)
class EmergencySignal:
    rule: str
    reason: str
    sentence: str
    category: str | None


def find_emergency(texts: list[str], rules: ClassifyRules) -> EmergencySignal | None:
    whole = "\n".join(texts).lower()
    if any(p.search(whole) for p in rules.cancel_mail):
        return None  # the mail asks about emergencies (how to prevent one); it does not report one
    for text in texts:
        triggered = {entry.label for entry in rules.emergency_triggers.hits(text)}
        if not triggered:
            continue  # most mail: no trigger word, no sentence-by-sentence reading
        candidates = [rule for rule in rules.emergencies if rule.id in triggered]
        for sentence in _SENTENCE.split(text.lower()):
            sentence = " ".join(sentence.split())
            if not sentence:
                continue
            # only the rules whose trigger words are in this very sentence
            here = {entry.label for entry in rules.emergency_triggers.hits(sentence)} & triggered
            for rule in (r for r in candidates if r.id in here):
                if any(p.search(sentence) for p in rule.patterns):
                    if any(c.search(sentence) for c in rules.cancel):
                        continue
                    return EmergencySignal(rule.id, rule.reason, sentence[:200], rule.category)
    return None
