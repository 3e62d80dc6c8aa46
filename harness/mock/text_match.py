"""Full-text matching for the mock search: tokenising, query parsing, scoring, highlighting."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[0-9a-z]+")
_PHRASE = re.compile(r'"([^"]*)"')
HIGHLIGHT_OPEN = '<span class="ln-search-highlight">'
HIGHLIGHT_CLOSE = "</span>"

# Weight of a query term found in each searchable field (upstream `only_in` names).
FIELD_WEIGHTS: dict[str, int] = {"title": 4, "author": 2, "description": 1, "audio": 1}


def _stem(word: str) -> str:
    """Fold a trailing plural "s" so that "startups" matches "startup"."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-cased, stemmed words of `text`, markup removed."""
    return [_stem(word) for word in _WORD.findall(_TAG.sub(" ", text).lower())]


@dataclass(frozen=True, slots=True)
class IndexedField:
    """One searchable field: its word set and its words joined with single spaces."""

    tokens: frozenset[str]
    padded: str

    @classmethod
    def of(cls, text: str) -> IndexedField:
        found = words(text)
        return cls(frozenset(found), f" {' '.join(found)} ")


def index_fields(**texts: str) -> dict[str, IndexedField]:
    """Index each named text field (names as in `FIELD_WEIGHTS`)."""
    return {name: IndexedField.of(text) for name, text in texts.items()}


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search term: loose words plus "double-quoted" verbatim phrases."""

    raw: str
    terms: tuple[str, ...]
    phrases: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str) -> Query:
        phrases = tuple(
            f" {' '.join(found)} " for found in map(words, _PHRASE.findall(raw)) if found
        )
        terms = tuple(dict.fromkeys(words(_PHRASE.sub(" ", raw))))
        return cls(raw, terms, phrases)

    @property
    def display(self) -> str:
        """The search term without quotes, as a reader would write it."""
        return " ".join(self.raw.replace('"', " ").split())

    def score(self, fields: dict[str, IndexedField], only_in: tuple[str, ...]) -> int:
        """Relevance of a document, or 0 when some term or phrase is missing from `only_in`."""
        total = 0
        for term in self.terms:
            found = sum(FIELD_WEIGHTS[name] for name in only_in if term in fields[name].tokens)
            if not found:
                return 0
            total += found
        for phrase in self.phrases:
            found = sum(FIELD_WEIGHTS[name] for name in only_in if phrase in fields[name].padded)
            if not found:
                return 0
            total += 2 * found
        return total

    def _pattern(self) -> re.Pattern[str] | None:
        return _highlight_pattern(self.terms, self.phrases)

    def highlight(self, text: str) -> str:
        """`text` with every query word wrapped in the upstream highlight span."""
        pattern = self._pattern()
        if pattern is None:
            return text
        return pattern.sub(lambda m: f"{HIGHLIGHT_OPEN}{m.group(0)}{HIGHLIGHT_CLOSE}", text)

    def snippet(self, text: str, width: int = 200) -> str:
        """A highlighted excerpt of plain `text` around the first query word."""
        plain = " ".join(_TAG.sub(" ", text).split())
        pattern = self._pattern()
        match = pattern.search(plain) if pattern else None
        start = max(0, match.start() - width // 4) if match else 0
        excerpt = plain[start : start + width]
        prefix = "..." if start else ""
        return prefix + self.highlight(excerpt)


@functools.lru_cache(maxsize=1024)
def _highlight_pattern(terms: tuple[str, ...], phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """A regex matching any query word (plural or not), case-insensitively."""
    highlighted = set(terms)
    for phrase in phrases:
        highlighted.update(phrase.split())
    if not highlighted:
        return None
    longest_first = sorted(highlighted, key=len, reverse=True)
    alternatives = "|".join(re.escape(word) for word in longest_first)
    return re.compile(rf"\b({alternatives})s?\b", re.IGNORECASE)
