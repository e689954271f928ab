"""Benchmark harness shared by every bench_*.py: databases, a real server, an HTTP load generator.

Nothing here is a test: figures are printed and written to benchmarks/results.json by run.py.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = os.environ.get("YISHI_BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")


def result(value: float, unit: str, target: str | None = None) -> dict:
    return {"value": round(value, 2), "unit": unit, "target": target}


def base_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        YISHI_VAR_DIR=str(VAR),
        YISHI_DEMO_PASSWORD="Bench-Passw0rd!",
        YISHI_LOG_LEVEL="WARNING",
        YISHI_DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


def fresh_database(kind: str, name: str) -> str:
    """Create an empty database and return its URL."""
    VAR.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = VAR / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([PY, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout


def script(env: dict[str, str], name: str, *args: str) -> str:
    out = subprocess.run([PY, str(ROOT / "benchmarks" / name), *args], env=env, cwd=ROOT / "benchmarks", check=True,
                         capture_output=True, text=True)
    return out.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def web_server(env: dict[str, str]) -> Iterator[str]:
    """The production web server (`manage.py serve_web`, as `make run` starts it) on a free port."""
    port = free_port()
    proc = subprocess.Popen(
        [PY, str(ROOT / "manage.py"), "serve_web", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


class Session:
    """A keep-alive HTTP client with cookies, enough to log in and fetch pages."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection: reconnect once, as browsers do.
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=hdrs)
            response = self.conn.getresponse()
        data = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, data

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
        status, _ = self.request("POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                                   "Referer": "http://127.0.0.1/"})
        if status != 302:
            raise RuntimeError(f"login as {username} failed: {status}")


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0


def load(base: str, path: str, sessions: list[Session], per_client: int) -> LoadResult:
    """Each session is one client; all run at once, each making `per_client` sequential requests."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(len(sessions))

    def client(session: Session) -> None:
        barrier.wait()
        mine: list[float] = []
        bad = 0
        for _ in range(per_client):
            t0 = time.perf_counter()
            status, _ = session.request("GET", path)
            mine.append((time.perf_counter() - t0) * 1000)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(len(latencies), errors[0], time.perf_counter() - start, latencies)


# Pages are measured twice: as served (figures and fragments reused until the next change,
# core.caching) and computed in full on every request, which is what a page costs right after a
# change. The targets apply to the first; the second is printed so that nobody mistakes one for the other.
MODES = (("", {}), (".computed", {"YISHI_OVERVIEW_CACHE_SECONDS": "0"}))


def measure_pages(env: dict[str, str], pages: dict[str, str], users: Sequence[str], name: Callable[[str, str], str],
                  *, target: str, clients: int = 20, per_client: int = 40) -> dict[str, dict]:
    """p50/p95 and requests/s of each page for each user, `clients` logged-in clients at once."""
    results: dict[str, dict] = {}
    for suffix, extra in MODES:
        with web_server({**env, **extra}) as base:
            for user in users:
                sessions = []
                for _ in range(clients):
                    s = Session(base)
                    s.login(user, env["YISHI_DEMO_PASSWORD"])
                    sessions.append(s)
                for page, path in pages.items():
                    load(base, path, sessions[:4], 3)  # warm-up
                    r = load(base, path, sessions, per_client)
                    prefix = name(page, user) + suffix
                    results[f"{prefix}.requests_per_s"] = result(r.rps, "req/s")
                    results[f"{prefix}.p50_ms"] = result(r.p50, "ms")
                    results[f"{prefix}.p95_ms"] = result(r.pct(0.95), "ms", None if suffix else target)
                    results[f"{prefix}.errors"] = result(r.errors, "count", "0")
    return results


def print_table(rows: dict[str, dict]) -> None:
    for name, entry in rows.items():
        target = f"  (目标 {entry['target']})" if entry.get("target") else ""
        print(f"  {name:48} {entry['value']:>10} {entry['unit']}{target}")


def write_results(new: dict[str, dict]) -> Path:
    path = ROOT / "benchmarks" / "results.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing.update(new)
    path.write_text(json.dumps(existing, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return path
