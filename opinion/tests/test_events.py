"""Event clustering and figures: reposts join, similar titles join, old events do not, heat is kept."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from opinion.choices import EventStatus
from opinion.events import bigram_jaccard, quiet_stale_events, title_bigrams
from opinion.models import Event, EventHeat, Item
from opinion.pipeline import ingest, process_items
from opinion.tests.pipeline_helpers import OTHER, STORY, Raw, make_rule, make_source, minutes_ago, repost

pytestmark = pytest.mark.django_db


FOLLOW = ("记者今天再次来到城东小区回访，多数居民表示家中自来水已经清澈，但仍有部分住户希望有关部门公开"
          "最近一周的检测数据。物业公司在小区门口张贴了通知，提醒居民放水数分钟后再使用。")


def _run(source, raws):
    result = ingest(source, raws, enqueue=False)
    process_items(result.ids)
    return list(Item.objects.filter(pk__in=result.ids).order_by("pk"))


def test_title_bigrams():
    assert bigram_jaccard(title_bigrams("城东水厂水质异常"), title_bigrams("城东水厂水质异常！")) == 1.0
    assert bigram_jaccard(title_bigrams("城东水厂水质异常"), title_bigrams("冬季文化惠民活动")) == 0.0


def test_follow_ups_with_similar_titles_join_one_event(world):
    central, local = make_source("央媒", weight=2.0), make_source("地方网站")
    first = _run(central, [Raw("城东水厂水质异常 居民反映自来水发黄", STORY, "http://a.cn/1", minutes_ago(90))])[0]
    follow = _run(local, [
        Raw("追踪：城东水厂水质异常 居民反映自来水发黄问题", FOLLOW, "http://b.cn/2", minutes_ago(20)),
        Raw("冬季文化惠民活动启动", OTHER, "http://b.cn/3", minutes_ago(10)),
    ])
    assert follow[0].event_id == first.event_id
    assert follow[1].event_id != first.event_id
    event = Event.objects.get(pk=first.event_id)
    assert (event.item_count, event.source_count, event.repost_count) == (2, 2, 0)
    assert event.lead_item_id == first.pk and event.title == first.title
    assert event.heat > 0 and event.keywords
    assert event.first_seen == first.published_at


def test_repost_joins_the_original_event_and_counts(world):
    source = make_source()
    original = _run(source, [Raw("城东水厂水质异常", STORY, "http://a.cn/1", minutes_ago(50))])[0]
    reposted = _run(make_source("转载网站"), [
        Raw("完全不同的标题党", repost(STORY), "http://c.cn/1", minutes_ago(30)),
        Raw("另一个转载", repost(STORY) + "\n编者按略。", "http://d.cn/1", minutes_ago(5)),
    ])
    assert {item.event_id for item in reposted} == {original.event_id}
    event = Event.objects.get(pk=original.event_id)
    assert (event.item_count, event.repost_count, event.source_count) == (3, 2, 2)
    assert event.growth >= 0
    assert EventHeat.objects.filter(event=event).count() == 2
    heats = list(EventHeat.objects.filter(event=event).values_list("heat", flat=True))
    assert heats[1] >= heats[0], "more items and reposts never lower the heat"


def test_shared_rule_terms_and_similar_body_join(world):
    make_rule(world.root, "水务", "水质|自来水")
    first = _run(make_source(), [Raw("市水务局通报", STORY, "http://a.cn/1", minutes_ago(60))])[0]
    # A different headline, half of the story retold: body MinHash ≈ 0.2–0.5, shared rule terms.
    half = STORY[: len(STORY) // 2] + "另据了解，相关部门正在调查事件原因，并将追究有关责任人责任。"
    second = _run(make_source("二"), [Raw("居民用水安全引关注", half, "http://b.cn/1", minutes_ago(10))])[0]
    assert second.repost_of_id is None or second.repost_of_id == first.pk
    assert second.event_id == first.event_id


def test_an_old_event_does_not_attract_new_items(world):
    old = _run(make_source(), [Raw("城东水厂水质异常", STORY, "http://a.cn/1",
                                  timezone.now() - datetime.timedelta(days=5))])[0]
    new = _run(make_source("二"), [Raw("城东水厂水质异常", OTHER + "水质。", "http://b.cn/1", minutes_ago(5))])[0]
    assert new.event_id != old.event_id
    assert quiet_stale_events() == 1
    assert Event.objects.get(pk=old.event_id).status == EventStatus.QUIET


def test_sentiment_mix_uses_analyst_labels(world):
    items = _run(make_source(), [Raw("城东水厂水质异常", STORY, "http://a.cn/1", minutes_ago(5))])
    Item.objects.filter(pk=items[0].pk).update(sentiment="pos", sentiment_label="neg")
    from opinion.events import refresh_events

    event = refresh_events([items[0].event_id])[0]
    assert (event.positive, event.negative) == (0, 1)
    assert event.negative_share == 1.0
