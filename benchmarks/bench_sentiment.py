"""Sentiment (正面/中性/负面): the baseline the `train_sentiment` command trains, on the held-out split.

Pure Python + numpy, no database: the same data and code path as `opinion.sentiment_service`.
Figures: accuracy, macro-F1 and negative recall overall and per source (reviews; news = People's
Daily 1998 paragraphs labelled neutral + our own written news sentences), the share of 2,000 held-out
People's Daily paragraphs (official news, never trained on) classed negative, the same for our
written positive/neutral government-work test sentences (modern official style), training seconds
and scoring speed on 600-character texts (batches of 200, and one at a time). Our written news test sentences come from templates never
seen in training, but share slot fillers with them: read their figures as optimistic.
"""

from __future__ import annotations

import sys
import time

import harness

if str(harness.ROOT) not in sys.path:
    sys.path.insert(0, str(harness.ROOT))  # run.py puts only benchmarks/ on the path

import numpy as np  # noqa: E402

from yishi_text.opinion import datasets, sentiment  # noqa: E402

SOURCES = {"reviews": "reviews", "news": "news", "news_own": "news_own"}


def _pct(ratio: float, target: str | None = None) -> dict:
    return harness.result(100 * ratio, "%", target)


def _accuracy_ci(truth: list[str], predicted: list[str], rounds: int = 1000) -> tuple[float, float]:
    """95% bootstrap interval of the accuracy (seeded)."""
    hits = np.array([t == p for t, p in zip(truth, predicted, strict=True)], dtype=np.float64)
    rng = np.random.default_rng(42)
    means = hits[rng.integers(0, len(hits), size=(rounds, len(hits)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def _texts_600(data: datasets.Dataset, count: int) -> list[str]:
    """News-length texts: consecutive held-out paragraphs joined and cut to 600 characters."""
    paragraphs = [e.text for e in data.held_out_news]
    out, i = [], 0
    while len(out) < count:
        text = ""
        while len(text) < 600:
            text += paragraphs[i % len(paragraphs)]
            i += 1
        out.append(text[:600])
    return out


def _docs_per_s(model: sentiment.SentimentModel, texts: list[str], batch: int) -> float:
    model.predict(texts[:batch])  # warm-up: lexicon index
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        model.predict(texts[start:start + batch])
    return len(texts) / (time.perf_counter() - started)


def run() -> dict[str, dict]:
    started = time.perf_counter()
    data = datasets.build()
    build_s = time.perf_counter() - started
    model = sentiment.train([e.text for e in data.train], [e.label for e in data.train])
    report = datasets.report(model, data)
    results: dict[str, dict] = {}
    overall = report["overall"]
    results["sentiment.test_size"] = harness.result(overall["n"], "texts")
    results["sentiment.accuracy"] = _pct(overall["accuracy"])
    predicted = [label for label, _ in model.predict([e.text for e in data.test])]
    low, high = _accuracy_ci([e.label for e in data.test], predicted)
    results["sentiment.accuracy_ci95_low"] = _pct(low)
    results["sentiment.accuracy_ci95_high"] = _pct(high)
    results["sentiment.macro_f1"] = _pct(overall["macro_f1"])
    results["sentiment.neg_recall"] = _pct(overall["neg_recall"])
    results["sentiment.neg_precision"] = _pct(overall["per_class"]["neg"]["precision"])
    for key, name in SOURCES.items():
        figures = report["by_source"][key]
        results[f"sentiment.{name}.accuracy"] = _pct(figures["accuracy"])
        results[f"sentiment.{name}.macro_f1"] = _pct(figures["macro_f1"])
        results[f"sentiment.{name}.neg_recall"] = _pct(figures["neg_recall"])
    results["sentiment.news_pd.neutral_recall"] = _pct(report["by_source"]["news_pd"]["per_class"]["neu"]["recall"])
    official = report["official_news"]
    results["sentiment.official_news_negative_share"] = harness.result(
        100 * official["negative_share"], "%", "< 5")
    results["sentiment.official_news_n"] = harness.result(official["n"], "texts")
    modern = report["own_official_news"]
    results["sentiment.own_official_news_negative_share"] = harness.result(100 * modern["negative_share"], "%", "< 5")
    results["sentiment.own_official_news_n"] = harness.result(modern["n"], "texts")
    results["sentiment.train_texts"] = harness.result(model.meta["n_train"], "texts")
    results["sentiment.train_seconds"] = harness.result(model.meta["train_seconds"], "s")
    results["sentiment.dataset_build_seconds"] = harness.result(build_s, "s")
    texts = _texts_600(data, 6000)
    results["sentiment.score_600char.docs_per_s"] = harness.result(_docs_per_s(model, texts, 200), "docs/s",
                                                                 ">= 5000")
    results["sentiment.score_600char_one_by_one.docs_per_s"] = harness.result(
        _docs_per_s(model, texts[:1000], 1), "docs/s", ">= 300")
    results["sentiment.model_kb"] = harness.result(len(model.to_bytes()) / 1024, "KB")
    return results


if __name__ == "__main__":
    harness.print_table(run())
