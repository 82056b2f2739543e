"""What a mail is about: weighted vocabulary per category over subject and new text, plus device kinds. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from inbox_worker.domain.labels import label
from inbox_worker.domain.types import DeviceInfo, Trace
from inbox_worker.mail.decide.classify_rules import ClassifyRules
from inbox_worker.mail.decide.emergency import EmergencySignal
from inbox_worker.mail.decide.terms import words_of


@dataclass(frozen=True)
class CategoryResult:
    category: str
    confidence: float
    low_confidence: bool


def decide_category(subject: str, text: str, devices: list[DeviceInfo], rules: ClassifyRules, trace: Trace,
                    *, fresh_subject: bool = True, emergency: EmergencySignal | None = None) -> CategoryResult:
    subject_words, text_words = words_of(subject), words_of(text)
    subject_weight = rules.subject_weight if fresh_subject else rules.reply_subject_weight
    scores: dict[str, float] = {}
    matched: dict[str, list[str]] = {}
    for hit in rules.lexicon.hits(subject, subject_words):
        scores[hit.label] = scores.get(hit.label, 0.0) + hit.weight * subject_weight
        matched.setdefault(hit.label, []).append(f"emne: {hit.term}")
    for hit in rules.lexicon.hits(text, text_words):
        scores[hit.label] = scores.get(hit.label, 0.0) + hit.weight
        matched.setdefault(hit.label, []).append(hit.term)
    for device in devices:
        category = rules.device_evidence.get(device.kind)
        if category:
            scores[category] = scores.get(category, 0.0) + rules.device_weight
            matched.setdefault(category, []).append(f"enhed: {device.tag} ({device.kind})")
    faults = rules.faults.hits(subject, subject_words) + rules.faults.hits(text, text_words)
    if not faults:
        for category in rules.intents & scores.keys():
            scores[category] *= rules.intent_factor
            matched[category].append(f"ingen fejl nævnt: x{rules.intent_factor:g}")
    if emergency is not None and emergency.category:
        scores[emergency.category] = scores.get(emergency.category, 0.0) + rules.emergency_weight
        matched.setdefault(emergency.category, []).append(f"akut: {emergency.rule}")
    if not scores:
        trace.add("classify", "category-no-evidence", "other", "Ingen kendte fagord i emne eller tekst",
                  scores={})
        return CategoryResult("other", 0.0, True)
    order = rules.categories
    best = max(scores, key=lambda c: (scores[c], -order.index(c)))
    confidence = scores[best] / sum(scores.values())
    ranked = dict(sorted(scores.items(), key=lambda kv: -kv[1]))
    details = {"scores": {k: round(v, 2) for k, v in ranked.items()}, "matched": matched,
               "fault_words": [hit.term for hit in faults]}
    if scores[best] < rules.min_score or confidence < rules.min_confidence:
        trace.add("classify", "category-low-confidence", "other",
                  f"Bedste bud '{label(best, 'category')}' er for usikkert (point {scores[best]:.1f}, "
                  f"sikkerhed {confidence:.0%}); "
                  f"en medarbejder vælger kategori", confidence=round(confidence, 2), **details)
        return CategoryResult("other", confidence, True)
    trace.add("classify", f"category-{best}", best,
              f"Kategori {label(best, 'category')}: {', '.join(matched[best][:8])} (sikkerhed {confidence:.0%})",
              confidence=round(confidence, 2), **details)
    return CategoryResult(best, confidence, False)
