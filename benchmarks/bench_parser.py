"""Plan reader speed: each shared sample plan, and ~150 KB of plans in one file (target < 500 ms).

Pure Python, no database. The 150 KB text concatenates every sample and every test fixture plan,
repeated; without ../shared it is built from the fixtures alone.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import harness

if str(harness.ROOT) not in sys.path:
    sys.path.insert(0, str(harness.ROOT))  # run.py puts only benchmarks/ on the path

from yishi_text.plans import parse_plan_file, parse_plan_text, read_plan_bytes  # noqa: E402

SAMPLES = harness.ROOT.parent / "shared" / "samples" / "plans"
FIXTURES = harness.ROOT / "yishi_text" / "tests" / "fixtures"
BIG_BYTES = 150 * 1024


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    work()  # warm-up: regex caches, lazy imports
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _plan_texts() -> list[str]:
    paths = sorted(SAMPLES.glob("*.txt")) if SAMPLES.is_dir() else []
    paths += sorted(p for p in FIXTURES.glob("2026-*.txt"))
    return [read_plan_bytes(p.read_bytes(), p.name) for p in paths]


def _big_text() -> str:
    texts = _plan_texts()
    chunks: list[str] = []
    size = 0
    while size < BIG_BYTES:
        text = texts[len(chunks) % len(texts)]
        chunks.append(text)
        size += len(text.encode("utf-8")) + 1
    return "\n".join(chunks)


def run() -> dict[str, dict]:
    results: dict[str, dict] = {}
    for path in sorted(SAMPLES.glob("*.txt")) if SAMPLES.is_dir() else []:
        data = path.read_bytes()
        ms = _median_ms(lambda data=data, name=path.name: parse_plan_file(data, name), repeat=20)
        results[f"parser.{path.stem}.ms"] = harness.result(ms, "ms")
    big = _big_text()
    results["parser.150kb.ms"] = harness.result(_median_ms(lambda: parse_plan_text(big), repeat=5), "ms", "< 500")
    results["parser.150kb.size_kb"] = harness.result(len(big.encode("utf-8")) / 1024, "KB")
    return results


if __name__ == "__main__":
    harness.print_table(run())
    print(f"  (samples: {SAMPLES if SAMPLES.is_dir() else 'absent, fixtures only'})")
