"""Risk register and heat map with 50,000 risks on PostgreSQL under 20 concurrent clients."""

from __future__ import annotations

import json
import subprocess
import time

import harness

CLIENTS = 20
PER_CLIENT = 25
RISKS = 50_000
PAGES = {"register": "/risks/", "register_filtered": "/risks/?level=major&status=open&sort=deadline",
         "heatmap": "/risks/heatmap/"}
USERS = ("admin", "fenguan")


def run() -> dict[str, dict]:
    results: dict[str, dict] = {}
    if not harness.postgres_available():
        print("   PostgreSQL 不可用：跳过风险台账基准")
        return results
    url = harness.fresh_database("postgresql", "yishi_bench_risks")
    env = harness.base_env(url)
    harness.manage(env, "migrate", "--noinput", "-v0")
    started = time.monotonic()
    harness.script(env, "seed_risks.py", str(RISKS))
    subprocess.run(["psql", url, "-q", "-c", "VACUUM ANALYZE"], check=False, capture_output=True)
    print(f"   seeded {RISKS} risks in {time.monotonic() - started:.0f} s")
    counts = {user: json.loads(harness.script(env, "querycount.py", user, *PAGES.values())) for user in USERS}
    results.update(harness.measure_pages(env, PAGES, USERS, lambda page, user: f"risks.{page}.{user}.postgresql",
                                         target="< 200", clients=CLIENTS, per_client=PER_CLIENT))
    for user in USERS:
        for name, path in PAGES.items():
            results[f"risks.{name}.{user}.postgresql.queries"] = harness.result(counts[user][path], "queries",
                                                                                 "independent of rows")
    return results
