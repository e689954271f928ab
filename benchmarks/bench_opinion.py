"""Opinion pipeline: items/s end to end per worker process, and ingest→alert latency.

Throughput: a fresh database gets N items at stage RECEIVED (stories with reposts and follow-ups,
a few keyword rules); real worker processes (`manage.py worker`, as `make run` starts them) are
started and idle; then the processing batches are enqueued and the clock runs until every item is
DONE. items/s per process = N / seconds / processes. Configurations: SQLite + database queue with
1 process; PostgreSQL + Redis (RQ) with 1 and 2 processes.

Latency: PostgreSQL + Redis, the production web server and one worker; an alert rule fires on a
sensitive word; items are pushed through the push API one at a time at a steady rate, each a new
story; p95 of (Alert row created − push sent).

Also run as a script inside a benchmark database: `bench_opinion.py seed N`, `… run N`, `… latency …`.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator

import harness

ITEMS = int(os.environ.get("YISHI_BENCH_OPINION_ITEMS", "6000"))
PUSHES = 60
PUSH_INTERVAL = 0.5

PLACES = ["城东", "城西", "河西", "南湖", "高新区", "开发区", "老城区", "北站", "滨江", "东湖", "西山", "临港"]
TOPICS = [("水厂水质异常", "自来水发黄有异味，居民担心用水安全"), ("供暖不达标", "室内温度偏低，老人孩子受冻"),
          ("道路施工扰民", "夜间施工噪音大，影响居民休息"), ("垃圾清运不及时", "小区垃圾堆积散发异味"),
          ("公交线路调整", "新线路方便了居民出行"), ("老旧小区改造", "加装电梯和管网更新顺利推进"),
          ("招聘会举办", "企业提供大量就业岗位"), ("养老服务站开业", "老人就近享受助餐助浴服务"),
          ("政务服务中心排长队", "办事群众反映窗口少等待时间长"), ("菜市场改造完工", "环境整洁摊位规范")]
FILLER = ["有关部门表示将尽快核实处理", "记者在现场看到工作人员正在忙碌", "不少市民对此表示关注",
          "相关负责人介绍了下一步工作安排", "社区工作人员上门了解情况", "市民热线已受理相关诉求",
          "市政府办公室要求各部门立即整改", "专家建议建立长效机制", "居民代表参加了座谈会",
          "区政府成立了专项工作组", "工作人员逐户走访听取意见", "下一步将加强日常巡查"]


def _items(count: int, seed: int = 11) -> list[tuple[str, str, str, str]]:
    """(external id, title, body, url): ~600-character stories, each with 1–5 reposts or follow-ups."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, str, str]] = []
    story = 0
    while len(rows) < count:
        place, (topic, detail) = rng.choice(PLACES), rng.choice(TOPICS)
        paragraphs = [f"{place}{topic}。{place}居民反映{detail}。"] + [
            "，".join(rng.sample(FILLER, 5)) + "。" for _ in range(5)]
        body = "\n".join(paragraphs) + f"（第{story}号）"
        title = f"{place}{topic}引发关注 第{story}号"
        rows.append((f"s{story}-0", title, body, f"http://bench.example.cn/{story}/0"))
        for n in range(1, rng.randint(2, 6)):
            if n % 3 == 0:  # a follow-up: half the story and something new, a similar title
                text = "\n".join(paragraphs[:3]) + "\n" + "，".join(rng.sample(FILLER, 6)) + "。"
                rows.append((f"s{story}-{n}", f"追踪：{title}", text, f"http://bench.example.cn/{story}/{n}"))
            else:
                rows.append((f"s{story}-{n}", f"{title}（转）", f"来源：都市晚报\n{body}\n（责任编辑：张三）",
                             f"http://portal{n}.example.cn/{story}"))
        story += 1
    return rows[:count]


# --- inside the benchmark database (subprocess) ----------------------------------------------------------


def _django() -> None:
    import _django

    _django.setup()


def seed(count: int) -> None:
    """Sources, rules and `count` RECEIVED items (not yet enqueued)."""
    _django()
    from dataclasses import dataclass

    from django.db import transaction

    from core.audit import system_context
    from opinion.models import KeywordRule, Source
    from opinion.pipeline import ingest
    from org.models import Unit

    @dataclass
    class Raw:
        title: str
        body: str
        url: str
        published: object
        external_id: str

    with system_context(), transaction.atomic():
        unit = Unit.objects.create(name="基准机关", kind="organ", code="BENCH")
        for name, expression, purpose in (("民生", "(水质|供暖|施工|垃圾|公交|养老|政务服务)&(居民|市民|群众)", "relevance"),
                                          ("政务", "市政府|区政府|政务服务|招聘会|改造", "relevance"),
                                          ("敏感", "异味|扰民|排长队|受冻", "sensitive")):
            KeywordRule.objects.create(unit=unit, name=name, expression=expression, purpose=purpose)
        sources = [Source.objects.create(name=f"基准源{i}", kind="push", weight=1 + i / 2) for i in range(4)]
    rows = _items(count)
    from django.utils import timezone

    now = timezone.now()
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        source = sources[(start // 500) % len(sources)]
        ingest(source, [Raw(t, b, u, now, e) for e, t, b, u in chunk], enqueue=False)
    # Warm the sentiment model once so its training (if any) is not part of the measurement.
    with contextlib.suppress(Exception):
        from opinion.sentiment_service import ensure_baseline_model

        ensure_baseline_model()


def run_batches(count: int) -> None:
    """Enqueue the batches, wait until every item is DONE; print the seconds."""
    _django()
    from opinion.choices import Stage
    from opinion.jobs import process_items
    from opinion.models import Item
    from opinion.pipeline import BATCH_SIZE

    ids = list(Item.objects.filter(stage=Stage.RECEIVED).order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    for start in range(0, len(ids), BATCH_SIZE):
        process_items.enqueue(ids[start:start + BATCH_SIZE])
    deadline = started + 1800
    while time.perf_counter() < deadline:
        left = Item.objects.filter(stage=Stage.RECEIVED).count()
        if not left:
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    done = Item.objects.filter(stage=Stage.DONE).count()
    print(json.dumps({"seconds": seconds, "done": done, "ids": len(ids)}))


def latency_setup() -> None:
    """A push source (token printed), a sensitive-word keyword rule and a red alert rule on it."""
    _django()
    from core.audit import system_context
    from core.models import User
    from opinion.models import AlertRule, KeywordRule, Source
    from opinion.sources import do_create_push_token
    from org.models import Unit

    with system_context():
        unit = Unit.objects.create(name="基准机关", kind="organ", code="BENCH")
        keyword = KeywordRule.objects.create(unit=unit, name="突发", expression="爆管|塌陷|中毒", purpose="sensitive")
        AlertRule.objects.create(unit=unit, name="突发事件红色预警", mode="sensitive", level="red", keyword_rule=keyword)
        source = Source.objects.create(name="基准推送", kind="push")
        admin = User.objects.create_superuser("benchadmin", "b@example.cn", "Bench-Passw0rd!")
        print(do_create_push_token(source, admin))


def latency_read(sent_path: str) -> None:
    """{external id: send time} from the file → p95 seconds to the Alert row."""
    _django()
    from pathlib import Path

    from django.db.models import Q

    from opinion.models import Alert

    sent = json.loads(Path(sent_path).read_text())
    delays = []
    missing = 0
    for external_id, at in sent.items():
        alert = Alert.objects.filter(Q(item__external_id=external_id) | Q(event__lead_item__external_id=external_id)
                                     ).order_by("created_at").first()
        if alert is None:
            missing += 1
            continue
        delays.append(alert.created_at.timestamp() - at)
    delays.sort()
    p95 = delays[min(len(delays) - 1, int(round(0.95 * (len(delays) - 1))))] if delays else float("nan")
    p50 = delays[len(delays) // 2] if delays else float("nan")
    print(json.dumps({"p95": p95, "p50": p50, "missing": missing, "count": len(delays)}))


# --- the benchmark (parent process) --------------------------------------------------------------------------


@contextlib.contextmanager
def _workers(env: dict[str, str], count: int) -> Iterator[list[subprocess.Popen]]:
    procs = [subprocess.Popen([harness.PY, str(harness.ROOT / "manage.py"), "worker"], env=env, cwd=harness.ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]
    try:
        time.sleep(4)  # let them import Django and reach the queue
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _me(env: dict[str, str], *args: str) -> str:
    return harness.script(env, "bench_opinion.py", *args)


def _throughput(kind: str, backend: str, processes: int) -> float:
    url = harness.fresh_database(kind, f"yishi_bench_opinion_{kind}_{processes}")
    env = {**harness.base_env(url), "YISHI_TASK_BACKEND": backend}
    if backend == "redis":
        import redis

        redis.Redis.from_url(env.get("REDIS_URL") or "redis://127.0.0.1:6379/0").flushdb()
    harness.manage(env, "migrate", "--noinput", "-v0")
    _me(env, "seed", str(ITEMS))
    with _workers(env, processes):
        out = json.loads(_me(env, "run", str(ITEMS)))
    if out["done"] < out["ids"]:
        print(f"   警告：{out['ids'] - out['done']} 条未处理完")
    return out["done"] / out["seconds"] / processes


def _latency(backend: str) -> dict[str, dict]:
    url = harness.fresh_database("postgresql", "yishi_bench_opinion_latency")
    env = {**harness.base_env(url), "YISHI_TASK_BACKEND": backend}
    if backend == "redis":
        import redis

        redis.Redis.from_url(env.get("REDIS_URL") or "redis://127.0.0.1:6379/0").flushdb()
    harness.manage(env, "migrate", "--noinput", "-v0")
    token = _me(env, "latency_setup").strip().splitlines()[-1]
    sent: dict[str, float] = {}
    rng = random.Random(5)
    with _workers(env, 1), harness.web_server(env) as base:
        session = harness.Session(base)
        for n in range(PUSHES):
            # Each push a story of its own (random characters around the trigger word), so each
            # forms its own event and raises its own alert instead of joining the previous one.
            words = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(40))
            item = {"id": f"lat-{n}", "title": f"{words[:12]}事件", "body": f"{words}，现场发生爆管。编号{n}。",
                    "url": f"http://lat.example.cn/{n}"}
            body = json.dumps({"items": [item]}, ensure_ascii=False).encode()
            sent[item["id"]] = time.time()
            status, _ = session.request("POST", "/api/opinion/push", body, {
                "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            if status != 200:
                print(f"   推送失败：HTTP {status}")
            time.sleep(PUSH_INTERVAL)
        time.sleep(5)
    path = harness.VAR / "opinion_latency_sent.json"
    path.write_text(json.dumps(sent))
    out = json.loads(_me(env, "latency_read", str(path)))
    if out["missing"]:
        print(f"   警告：{out['missing']} 条推送没有产生预警")
    name = "postgresql_redis" if backend == "redis" else "postgresql_db_queue"
    return {f"opinion.ingest_to_alert.{name}.p95_s": harness.result(out["p95"], "s", "< 5"),
            f"opinion.ingest_to_alert.{name}.p50_s": harness.result(out["p50"], "s"),
            f"opinion.ingest_to_alert.{name}.alerts_missing": harness.result(out["missing"], "count", "0")}


def run() -> dict[str, dict]:
    results: dict[str, dict] = {}
    target = "≥ 300 items/s per process"
    results["opinion.pipeline.sqlite_db_queue.1proc.items_per_s_per_process"] = harness.result(
        _throughput("sqlite", "database", 1), "items/s", target)
    pg = harness.postgres_available()
    try:
        import redis

        redis.Redis.from_url(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0").ping()
        has_redis = True
    except Exception:
        has_redis = False
    if not (pg and has_redis):
        print("   PostgreSQL 或 Redis 不可用：跳过 PostgreSQL+Redis 的吞吐量与预警延迟")
        return results
    for processes in (1, 2):
        results[f"opinion.pipeline.postgresql_redis.{processes}proc.items_per_s_per_process"] = harness.result(
            _throughput("postgresql", "redis", processes), "items/s", target)
    results.update(_latency("database"))
    results.update(_latency("redis"))
    return results


def _dispatch(argv: list[str]) -> None:
    command, *args = argv
    {"seed": lambda: seed(int(args[0])), "run": lambda: run_batches(int(args[0])), "latency_setup": latency_setup,
     "latency_read": lambda: latency_read(args[0])}[command]()


if __name__ == "__main__":
    _dispatch(sys.argv[1:])
