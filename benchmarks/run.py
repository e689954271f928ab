"""`make bench`: run every benchmarks/bench_*.py, print the figures, write benchmarks/results.json.

Select some with: python benchmarks/run.py foundation
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402


def main(selected: list[str]) -> None:
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    if selected:
        names = [n for n in names if n in selected]
    for name in names:
        print(f"== {name}")
        started = time.monotonic()
        figures = importlib.import_module(f"bench_{name}").run()
        harness.print_table(figures)
        path = harness.write_results(figures)
        print(f"   ({time.monotonic() - started:.0f} s; written to {path.relative_to(HERE.parent)})")


if __name__ == "__main__":
    main(sys.argv[1:])
