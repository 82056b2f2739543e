"""Weighted vocabulary matching over Danish and English text, with inflections and compound words.

A term is matched against words, so the rules read as plain vocabulary:
- `printer` matches a word that starts with it (printeren, printerne, printerproblem) and, being
  five letters or more, a word that contains it (netværksprinter, laserprinteren);
- `=pc` matches the whole word only (pc, not pcb);
- `ny pc` (with spaces) matches the words in sequence, the last one as a prefix (ny pc'er);
- `re:...` is a regular expression over the lower-cased text, for what words cannot say.
Words are lower-cased runs of letters and digits; an apostrophe or hyphen ends a word (NAS'en -> nas, en).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

WORD = re.compile(r"[0-9a-zæøåäöüé]+")
COMPOUND_MIN = 5  # shorter terms only match at the start of a word: "net" must not hit "kabinet"
_CACHE_LIMIT = 100_000


class TermError(ValueError):
    """A term that cannot be compiled (a broken regular expression)."""


@dataclass(frozen=True)
class Hit:
    term: str
    weight: float


class TermSet:
    """Terms -> weights, compiled once; `hits(text)` returns each matched term once."""

    def __init__(self, terms: Mapping[str, float]) -> None:
        self.exact: dict[str, str] = {}
        self.prefix: dict[str, str] = {}
        self.inside: dict[str, str] = {}
        self.weights: dict[str, float] = {}
        patterns: list[str] = []
        self._group_terms: dict[str, str] = {}
        for raw_term, weight in terms.items():
            term = raw_term.strip().lower()
            self.weights[raw_term] = float(weight)
            if term.startswith("re:") or " " in term:
                name = f"t{len(patterns)}"
                self._group_terms[name] = raw_term
                if term.startswith("re:"):
                    pattern = term[3:]
                else:
                    pattern = r"\b" + r"[\s'\-]+".join(re.escape(w) for w in term.split())
                patterns.append(self._group(name, raw_term, pattern))
            elif term.startswith("="):
                self.exact[term[1:]] = raw_term
            else:
                self.prefix[term] = raw_term
                if len(term) >= COMPOUND_MIN:
                    self.inside[term] = raw_term
        try:
            self.pattern = re.compile("|".join(patterns)) if patterns else None
        except re.error as exc:
            raise TermError(str(exc)) from None
        self.prefix_lengths = sorted({len(t) for t in self.prefix})
        self.inside_lengths = sorted({len(t) for t in self.inside})
        self._word_cache: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def _group(name: str, raw_term: str, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise TermError(f"{raw_term!r}: {exc}") from None
        return f"(?P<{name}>{pattern})"

    def _word_terms(self, word: str) -> tuple[str, ...]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        found: list[str] = []
        if word in self.exact:
            found.append(self.exact[word])
        for length in self.prefix_lengths:
            if length > len(word):
                break
            term = self.prefix.get(word[:length])
            if term is not None:
                found.append(term)
        for length in self.inside_lengths:
            for start in range(1, len(word) - length + 1):
                term = self.inside.get(word[start : start + length])
                if term is not None:
                    found.append(term)
        result = tuple(dict.fromkeys(found))
        if len(self._word_cache) < _CACHE_LIMIT:
            self._word_cache[word] = result
        return result

    def hits(self, text: str, words: Iterable[str] | None = None) -> list[Hit]:
        """Each term found in `text` once (pass `words` when the caller already tokenized it)."""
        lowered = text.lower()
        seen: dict[str, None] = {}
        for word in dict.fromkeys(words if words is not None else WORD.findall(lowered)):
            for term in self._word_terms(word):
                seen.setdefault(term)
        if self.pattern is not None:
            for match in self.pattern.finditer(lowered):
                if match.lastgroup:
                    seen.setdefault(self._group_terms[match.lastgroup])
        return [Hit(term, self.weights[term]) for term in seen]


def words_of(text: str) -> list[str]:
    return WORD.findall(text.lower())
