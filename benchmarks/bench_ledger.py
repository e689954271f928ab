"""Task generation for a 24-item plan; ledger list and leader overview with 100,000 tasks (PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import time

import harness

CLIENTS = 20
PER_CLIENT = 25
TASKS = 100_000
PAGES = {"ledger_list": "/ledger/", "leader_overview": "/ledger/overview/"}
USER = "admin"


def _generation_ms(env: dict[str, str]) -> float:
    out = harness.script(env, "generation.py")
    return float(json.loads(out)["median_ms"])


def run() -> dict[str, dict]:
    results: dict[str, dict] = {}
    url = harness.fresh_database("sqlite", "yishi_bench_generation")
    env = harness.base_env(url)
    harness.manage(env, "migrate", "--noinput", "-v0")
    results["ledger.generate_24_item_plan.sqlite.ms"] = harness.result(_generation_ms(env), "ms")
    if not harness.postgres_available():
        print("   PostgreSQL 不可用：跳过 100,000 任务的页面基准")
        return results
    url = harness.fresh_database("postgresql", "yishi_bench_ledger")
    env = harness.base_env(url)
    harness.manage(env, "migrate", "--noinput", "-v0")
    results["ledger.generate_24_item_plan.postgresql.ms"] = harness.result(_generation_ms(env), "ms")
    started = time.monotonic()
    harness.script(env, "seed_ledger.py", str(TASKS))
    subprocess.run(["psql", url, "-q", "-c", "VACUUM ANALYZE"], check=False, capture_output=True)
    print(f"   seeded {TASKS} tasks in {time.monotonic() - started:.0f} s")
    counts = {}
    for size in (20, 100):
        paths = [f"{path}?per_page={size}" if name == "ledger_list" else path for name, path in PAGES.items()]
        counts[size] = json.loads(harness.script(env, "querycount.py", USER, *paths))
    results.update(harness.measure_pages(env, PAGES, [USER], lambda page, _: f"ledger.{page}.postgresql",
                                         target="< 200", clients=CLIENTS, per_client=PER_CLIENT))
    for name, path in PAGES.items():
        small = counts[20][f"{path}?per_page=20" if name == "ledger_list" else path]
        large = counts[100][f"{path}?per_page=100" if name == "ledger_list" else path]
        results[f"ledger.{name}.postgresql.queries"] = harness.result(small, "queries", "independent of page size")
        if name == "ledger_list":
            results["ledger.ledger_list.postgresql.queries_at_100_per_page"] = harness.result(
                large, "queries", f"= {small}")
    return results
