"""Curated negative-event lexicon (负面事件词表): our own words, in data/negative_events.txt.

The sentiment model uses hits as extra features (count buckets), so it learns how much a hit
weighs instead of the lexicon overriding it: official news mentions 事故 or 问责 too, in reports
of work done, and a hard rule would flood the negative class.

Matching is one Aho-Corasick automaton (pyahocorasick) over the text: a few microseconds per
600-character item, so it adds nothing noticeable to the pipeline.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

DATA = Path(__file__).resolve().parent / "data" / "negative_events.txt"


@dataclass(frozen=True)
class Lexicon:
    weights: dict[str, float]
    version: str  # "neg-<count>-<sha1 prefix of the file>": a model records which lexicon it was trained with
    automaton: ahocorasick.Automaton

    def hits(self, text: str) -> list[str]:
        """Terms found in the text, each once, in order of first appearance.

        A term inside a longer matching term (事故 in 安全事故) counts as well: both are words of the
        list and the model weighs them; counting both makes a serious phrase count more.
        """
        seen: dict[str, None] = {}
        for _end, term in self.automaton.iter(text):
            seen.setdefault(term, None)
        return list(seen)

    def score(self, text: str) -> float:
        """Sum of the weights of the distinct terms found."""
        return sum(self.weights[t] for t in self.hits(text))


def parse(lines: list[str]) -> dict[str, float]:
    """`term [weight]` per line; `#` comments and blank lines skipped; a repeated term keeps its last weight."""
    weights: dict[str, float] = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        weights[parts[0]] = float(parts[1]) if len(parts) > 1 else 1.0
    return weights


def build(weights: dict[str, float], version: str) -> Lexicon:
    automaton = ahocorasick.Automaton()
    for term in weights:
        automaton.add_word(term, term)
    automaton.make_automaton()
    return Lexicon(weights=weights, version=version, automaton=automaton)


@functools.cache
def load(path: Path = DATA) -> Lexicon:
    data = path.read_bytes()
    weights = parse(data.decode("utf-8").splitlines())
    return build(weights, f"neg-{len(weights)}-{hashlib.sha256(data).hexdigest()[:8]}")


def hits(text: str) -> list[str]:
    """Negative-event terms in `text` (the shipped lexicon)."""
    return load().hits(text)


def version() -> str:
    return load().version
