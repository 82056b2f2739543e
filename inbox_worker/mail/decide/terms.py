"""Weighted vocabulary matching over Danish and English text, with inflections and compound words.

A term is matched against words, so the rules read as plain vocabulary:
- `printer` matches a word that starts with it (printeren, printerne, printerproblem) and, being
  five letters or more, a word that contains it (netværksprinter, laserprinteren);
- `=pc` matches the whole word only (pc, not pcb);
- `ny pc` (with spaces) matches the words in sequence, the last one as a prefix (ny pc'er);
- `re:...` is a regular expression over the lower-cased text, for what words cannot say.
Words are lower-cased runs of letters and digits; an apostrophe or hyphen ends a word (NAS'en -> nas, en).

One `Lexicon` holds the terms of many labels (categories, device kinds) so a text is read once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

WORD = re.compile(r"[0-9a-zæøåäöüé]+")
COMPOUND_MIN = 5  # shorter terms only match at the start of a word: "net" must not hit "kabinet"
# A run of letters longer than this is no word (base64, a hash, a line of garbage): it is not read.
# Danish compounds stay well below it, and a compound search inside a 12 MB "word" took 40 s.
MAX_WORD = 64
_CACHE_LIMIT = 200_000


class TermError(ValueError):
    """A term that cannot be compiled (a broken regular expression)."""


@dataclass(frozen=True)
class Entry:
    label: str  # what the term is evidence for: a category, a device kind
    term: str  # as written in the rules file, for the trace
    weight: float


def words_of(text: str) -> list[str]:
    """The words of `text`, a new list each call (the last texts' words are remembered: the device,
    emergency and category stages all read the same request)."""
    return list(_words_of(text))


@functools.lru_cache(maxsize=8)
def _words_of(text: str) -> tuple[str, ...]:
    return tuple([word for word in WORD.findall(text.lower()) if len(word) <= MAX_WORD])


def _word_matches(word: str, term: str) -> bool:
    """The rule for one word: a prefix, or, for terms of five letters or more, anywhere (compounds)."""
    return word.startswith(term) or (len(term) >= COMPOUND_MIN and term in word)


class Lexicon:
    """Terms of several labels, compiled once; `hits(text)` returns each (label, term) found, once."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.exact: dict[str, list[Entry]] = {}
        self.prefix: dict[str, list[Entry]] = {}
        self.inside: dict[str, list[Entry]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}  # first word -> (other words, entry)
        self.patterns: list[tuple[re.Pattern[str], Entry]] = []
        for entry in entries:
            term = entry.term.strip().lower()
            if term.startswith("re:"):
                try:
                    self.patterns.append((re.compile(term[3:]), entry))
                except re.error as exc:
                    raise TermError(f"{entry.term!r}: {exc}") from None
            elif " " in term:
                first, *rest = words_of(term)
                self.phrases.setdefault(first, []).append((tuple(rest), entry))
            elif term.startswith("="):
                self.exact.setdefault(term[1:], []).append(entry)
            else:
                self.prefix.setdefault(term, []).append(entry)
                if len(term) >= COMPOUND_MIN:
                    self.inside.setdefault(term, []).append(entry)
        self.prefix_lengths = sorted({len(t) for t in self.prefix})
        self.inside_lengths = sorted({len(t) for t in self.inside})
        self.phrase_lengths = {first: sorted({len(rest) for rest, _ in phrases})
                               for first, phrases in self.phrases.items()}
        self._cache: dict[str, tuple[Entry, ...]] = {}

    def _word_entries(self, word: str) -> tuple[Entry, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        found: list[Entry] = list(self.exact.get(word, ()))
        for length in self.prefix_lengths:
            if length > len(word):
                break
            found.extend(self.prefix.get(word[:length], ()))
        for length in self.inside_lengths:
            for start in range(1, len(word) - length + 1):
                found.extend(self.inside.get(word[start : start + length], ()))
        result = tuple(dict.fromkeys(found))
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = result
        return result

    def _phrase_entries(self, words: list[str]) -> list[Entry]:
        """Each phrase found, once. The text is read once, keeping the distinct word sequences that follow
        each first word of a phrase; the phrases are then matched against those (a long mail repeats itself)."""
        found: list[Entry] = []
        firsts = self.phrases.keys() & set(words)
        if not firsts:
            return found
        lengths = self.phrase_lengths
        following: dict[tuple[str, int], set[tuple[str, ...]]] = {}
        end = len(words)
        for word in firsts:  # few first words occur: each is found by list.index, not by reading every word here
            index = -1
            while True:
                try:
                    index = words.index(word, index + 1)
                except ValueError:
                    break
                for length in lengths[word]:
                    if index + length < end:
                        following.setdefault((word, length), set()).add(tuple(words[index + 1 : index + 1 + length]))
        for first in (word for word in self.phrases if word in firsts):  # the rules' order, not a set's (its
            for rest, entry in self.phrases[first]:                      # order changes with the hash seed)
                if any(sequence[:-1] == rest[:-1] and _word_matches(sequence[-1], rest[-1])
                       for sequence in following.get((first, len(rest)), ())):
                    found.append(entry)
        return found

    def word_hits(self, words: list[str]) -> list[tuple[Entry, str]]:
        """Single-word terms with the word each matched in (for callers that read the inflection)."""
        return [(entry, word) for word in dict.fromkeys(words) for entry in self._word_entries(word)]

    def phrase_hits(self, text: str, words: list[str]) -> list[Entry]:
        """Phrases and patterns only."""
        found = self._phrase_entries(words) if self.phrases else []
        lowered = text.lower()
        found += [entry for pattern, entry in self.patterns if pattern.search(lowered)]
        return found

    def hits(self, text: str, words: list[str] | None = None) -> list[Entry]:
        """Each entry found in `text` once (pass `words` when the caller already tokenized it)."""
        words = words if words is not None else words_of(text)
        seen: dict[Entry, None] = {}
        for word in dict.fromkeys(words):
            for entry in self._word_entries(word):
                seen.setdefault(entry)
        if self.phrases:
            for entry in self._phrase_entries(words):
                seen.setdefault(entry)
        if self.patterns:
            lowered = text.lower()
            for pattern, entry in self.patterns:
                if pattern.search(lowered):
                    seen.setdefault(entry)
        return list(seen)
