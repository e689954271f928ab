"""The pipeline end to end with REAL worker processes: fetch from a local server, push, and a worker
killed with SIGKILL mid-batch losing nothing and counting nothing twice."""

from __future__ import annotations

import json
import random
import signal

import pytest
from django.conf import settings
from django.db.models import Count, Sum
from django.test import override_settings

from core.testing import redis_available, running_worker, wait_until
from opinion.choices import Stage
from opinion.fetch import clear_robots_cache
from opinion.jobs import fetch_due_sources, sweep_pending
from opinion.models import Event, FetchAllowlist, FetchLog, Item, ItemBand, Source
from opinion.pipeline import ingest
from opinion.sources import do_create_push_token, do_create_source
from opinion.tests.httpfixture import local_server
from opinion.tests.pipeline_helpers import Raw, make_rule, minutes_ago

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES},
    "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES},
}


@pytest.fixture(params=["database", "redis"])
def backend(request):
    if request.param == "redis" and not redis_available():
        pytest.skip("Redis 不可用")
    if request.param == "redis":
        import django_rq

        django_rq.get_queue("default").empty()
    with override_settings(YISHI_TASK_BACKEND=request.param, TASKS={"default": BACKENDS[request.param]}):
        yield request.param


def _done(count: int):
    return lambda: Item.objects.filter(stage=Stage.DONE).count() >= count


def test_fetched_feeds_are_processed_by_a_real_worker(backend, world):
    clear_robots_cache()
    make_rule(world.root, "市政", "市政府|水质|供暖|营商环境|招聘会")
    FetchAllowlist.objects.create(pattern="127.0.0.0/8")
    with local_server() as server:
        good = Source.objects.create(name="融媒体", kind="rss", url=server.base + "/rss.xml")
        atom = Source.objects.create(name="政务公开", kind="rss", url=server.base + "/atom.xml")
        broken = Source.objects.create(name="坏源", kind="rss", url=server.base + "/bad.xml")
        Source.objects.create(name="停用", kind="rss", url=server.base + "/rss.xml", enabled=False)
        fetch_due_sources.enqueue()
        with running_worker(backend):
            wait_until(_done(5), timeout=90)
            wait_until(lambda: FetchLog.objects.count() == 3, timeout=30)
    assert Item.objects.filter(source=good).count() == 3 and Item.objects.filter(source=atom).count() == 2
    assert FetchLog.objects.get(source=broken).ok is False
    assert not FetchLog.objects.filter(source__name="停用").exists()
    relevant = Item.objects.filter(relevant=True)
    assert relevant.exists() and all(item.event_id for item in relevant)
    assert all(item.search_text for item in Item.objects.all())


def test_pushed_items_are_processed_within_seconds(backend, world, client):
    source = do_create_source(name="推送", kind="push", acting_user=world.admin)
    token = do_create_push_token(source, world.admin)
    with running_worker(backend):
        response = client.post("/api/opinion/push", data=json.dumps({"items": [
            {"id": "1", "title": "城东水厂水质异常 市水务局启动应急预案", "body": "市水务局通报城东水厂水质异常，已启动应急预案。" * 3},
            {"id": "2", "title": "城东水厂水质异常（转）", "body": "来源：都市晚报\n" + "市水务局通报城东水厂水质异常，已启动应急预案。" * 3},
        ]}, ensure_ascii=False), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        wait_until(_done(2), timeout=60)
    first, second = Item.objects.order_by("pk")
    assert second.repost_of_id == first.pk and first.event_id == second.event_id
    assert Event.objects.get().item_count == 2


# --- the kill test ----------------------------------------------------------------------------------------

PLACES = ["城东", "城西", "河西", "南湖", "高新区", "开发区", "老城区", "北站", "滨江", "东湖"]
TOPICS = [("水厂水质异常", "自来水发黄有异味，居民担心用水安全"), ("供暖不达标", "室内温度偏低，老人孩子受冻"),
          ("道路施工扰民", "夜间施工噪音大，影响居民休息"), ("垃圾清运不及时", "小区垃圾堆积散发异味"),
          ("公交线路调整", "新线路方便了居民出行"), ("老旧小区改造", "加装电梯和管网更新顺利推进"),
          ("招聘会举办", "企业提供大量就业岗位"), ("养老服务站开业", "老人就近享受助餐助浴服务")]
FILLER = ["有关部门表示将尽快核实处理", "记者在现场看到工作人员正在忙碌", "不少市民对此表示关注",
          "相关负责人介绍了下一步工作安排", "社区工作人员上门了解情况", "市民热线已受理相关诉求"]


def _kill_batch(count: int) -> list[Raw]:
    """`count` items: stories with reposts (exact and edited) and follow-ups, in arrival order."""
    rng = random.Random(7)
    raws: list[Raw] = []
    story = 0
    while len(raws) < count:
        place, (topic, detail) = PLACES[story % len(PLACES)], TOPICS[(story // len(PLACES)) % len(TOPICS)]
        serial = story // (len(PLACES) * len(TOPICS))
        sentences = [f"第{serial}期{place}{topic}", f"{place}居民反映{detail}"] + rng.sample(FILLER, 4)
        body = "，".join(sentences) + f"。编号{story}。"
        title = f"{place}{topic}引关注（{serial}）"
        raws.append(Raw(title, body, f"http://kill.example.cn/{story}/0", minutes_ago(60), f"k{story}-0"))
        for n in range(1, rng.randint(2, 6)):
            text = f"来源：都市晚报\n{body}" if n % 2 else body.replace("。编号", "。另讯编号")
            raws.append(Raw(f"{title}（转）", text, f"http://kill.example.cn/{story}/{n}", minutes_ago(60 - n),
                            f"k{story}-{n}"))
        story += 1
    return raws[:count]


def test_worker_killed_mid_batch_loses_nothing_and_counts_once(world):
    total = 3000
    source = Source.objects.create(name="批量", kind="push")
    result = ingest(source, _kill_batch(total))  # enqueues 15 batches on commit
    assert result.new == total
    with running_worker("database") as victim:
        wait_until(_done(250), timeout=120, interval=0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    done_at_kill = Item.objects.filter(stage=Stage.DONE).count()
    assert done_at_kill < total, "the worker finished before it could be killed: make the batch larger"
    with running_worker("database"):
        sweep_pending.enqueue(older_than_seconds=0)
        wait_until(_done(total), timeout=240)
    assert Item.objects.filter(stage=Stage.RECEIVED).count() == 0
    # Exactly once: each processed item wrote its 32 LSH bands once, and event counters equal their items.
    assert ItemBand.objects.count() == 32 * total
    assert Item.objects.filter(event__isnull=True).count() == 0
    assert Event.objects.aggregate(n=Sum("item_count"))["n"] == total
    actual = dict(Item.objects.values_list("event_id").annotate(n=Count("id")).values_list("event_id", "n"))
    stored = dict(Event.objects.values_list("pk", "item_count"))
    assert actual == stored
    reposts = dict(Item.objects.filter(repost_of__isnull=False).values_list("event_id").annotate(n=Count("id"))
                   .values_list("event_id", "n"))
    assert all(event.repost_count == reposts.get(event.pk, 0) for event in Event.objects.all())
    assert Item.objects.filter(repost_of__isnull=False).count() > total // 2
