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
        with harness.web_server(env) as base:
            sessions = []
            for _ in range(CLIENTS):
                s = harness.Session(base)
                s.login(USER, env["YISHI_DEMO_PASSWORD"])
                sessions.append(s)
            for name, path in PAGES.items():
                harness.load(base, path, sessions[:4], 5)  # warm-up
                r = harness.load(base, path, sessions, PER_CLIENT)
                prefix = f"foundation.{name}.{kind}"
                results[f"{prefix}.requests_per_s"] = harness.result(r.rps, "req/s")
                results[f"{prefix}.p50_ms"] = harness.result(r.p50, "ms")
                results[f"{prefix}.p95_ms"] = harness.result(r.pct(0.95), "ms", "< 150")
                results[f"{prefix}.errors"] = harness.result(r.errors, "count", "0")
                results[f"{prefix}.queries"] = harness.result(counts[path], "queries", "independent of list length")
    return results
