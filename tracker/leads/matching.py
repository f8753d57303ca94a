"""Matching feed entries against every recommendation's watch terms in one pass.

All terms of all recommendations go into one Aho-Corasick automaton (pyahocorasick), built once
per run: each entry is scanned once, whatever the number of recommendations, and no query is
made per entry. Text and terms are normalised the same way (case, accents' compatibility forms,
punctuation to single spaces), and each term is padded with spaces, so a term matches whole
words only: "grooming" does not match "groomingly", and "limitation period" matches
"Limitation-period".
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Casefolded words separated by single spaces, with a space at each end."""
    words = NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return f" {words} " if words else ""


@dataclass(frozen=True)
class WatchList:
    """One recommendation's terms, as the matcher takes them."""

    recommendation_id: int
    terms: list[str]
    exclude: list[str]


class TermMatcher:
    """Finds, for a piece of text, the recommendations whose terms it contains."""

    def __init__(self, watch_lists: Iterable[WatchList]):
        self._includes: dict[str, dict[int, str]] = defaultdict(dict)
        self._excludes: dict[str, set[int]] = defaultdict(set)
        for watch in watch_lists:
            for term in watch.terms:
                key = normalise(term)
                if key:
                    self._includes[key].setdefault(watch.recommendation_id, term)
            for term in watch.exclude:
                key = normalise(term)
                if key:
                    self._excludes[key].add(watch.recommendation_id)
        self._automaton = ahocorasick.Automaton()
        for key in self._includes.keys() | self._excludes.keys():
            self._automaton.add_word(key, key)
        self.is_empty = not self._includes
        if not self.is_empty:
            self._automaton.make_automaton()

    @property
    def term_count(self) -> int:
        return len(self._includes)

    def match(self, text: str) -> dict[int, list[str]]:
        """Recommendation id → the terms found (as the editor wrote them), exclusions applied."""
        if self.is_empty:
            return {}
        found = {key for _, key in self._automaton.iter(normalise(text))}
        excluded = set()
        for key in found & self._excludes.keys():
            excluded |= self._excludes[key]
        matches: dict[int, list[str]] = defaultdict(list)
        for key in sorted(found & self._includes.keys()):
            for recommendation_id, term in self._includes[key].items():
                if recommendation_id not in excluded:
                    matches[recommendation_id].append(term)
        return dict(matches)
