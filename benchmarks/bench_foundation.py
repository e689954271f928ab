"""工作台 and the org people list (2,000 people) under 20 concurrent clients, SQLite and PostgreSQL."""

from __future__ import annotations

import json

import harness

CLIENTS = 20
PER_CLIENT = 40
PAGES = {"home": "/", "org_people": "/org/people/"}
USER = "admin"  # sees every unit, so the people list spans all 2,000


def run() -> dict[str, dict]:
    results: dict[str, dict] = {}
    kinds = ["sqlite"] + (["postgresql"] if harness.postgres_available() else [])
    for kind in kinds:
        url = harness.fresh_database(kind, "yishi_bench_foundation")
        env = harness.base_env(url)
        harness.manage(env, "migrate", "--noinput", "-v0")
        harness.script(env, "seed_org.py", "2000")
        counts = json.loads(harness.script(env, "querycount.py", USER, *PAGES.values()))
        results.update(harness.measure_pages(env, PAGES, [USER], lambda page, _, kind=kind: f"foundation.{page}.{kind}",
                                             target="< 150", clients=CLIENTS, per_client=PER_CLIENT))
        for name, path in PAGES.items():
            results[f"foundation.{name}.{kind}.queries"] = harness.result(counts[path], "queries",
                                                                          "independent of list length")
    return results
