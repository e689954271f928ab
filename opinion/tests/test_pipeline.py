"""Ingest and processing in-process: duplicates, reposts, rules, sentiment hook, events, idempotency."""

from __future__ import annotations

import pytest
from django.utils import timezone

from opinion.choices import Stage
from opinion.models import Event, EventHeat, Item, ItemBand, RuleMatch, Source, SourceDayCount
from opinion.pipeline import current_rules, ingest, process_items
from opinion.tests.pipeline_helpers import (
    OTHER,
    STORY,
    Raw,
    edited,
    make_rule,
    make_source,
    minutes_ago,
    repost,
)

pytestmark = pytest.mark.django_db


def _ingest_and_process(source: Source, raws: list[Raw]) -> list[Item]:
    result = ingest(source, raws, enqueue=False)
    process_items(result.ids)
    return list(Item.objects.filter(pk__in=result.ids).order_by("pk"))


def test_ingest_counts_duplicates_and_skips(world):
    source = make_source()
    first = ingest(source, [
        Raw("市水务局通报城东水厂水质情况", STORY, "http://news.example.cn/a/1.html?utm_source=wx", external_id="1"),
        Raw("短", "", external_id="2"),
        Raw("English only item about something", "This is a long English body " * 5, external_id="3"),
    ], enqueue=False)
    assert (first.new, first.duplicates, first.skipped) == (1, 0, 2)
    skipped = Item.objects.filter(stage=Stage.SKIPPED)
    assert skipped.count() == 2 and all(item.skip_reason for item in skipped)
    again = ingest(source, [
        Raw("市水务局通报城东水厂水质情况", STORY, external_id="1"),  # same source, same id
        Raw("另一标题", STORY + "补充", "http://news.example.cn/a/1.html#top"),  # same canonical URL
        Raw("市水务局通报城东水厂水质情况", STORY, external_id="9"),  # same in one delivery twice
        Raw("市水务局通报城东水厂水质情况", STORY, external_id="9"),
    ], enqueue=False)
    assert (again.new, again.duplicates, again.skipped) == (1, 3, 0)
    day = SourceDayCount.objects.get(source=source, date=timezone.localdate())
    assert (day.new, day.duplicates, day.skipped) == (2, 3, 2)
    source.refresh_from_db()
    assert source.items_total == 2


def test_normalization_strips_boilerplate(world):
    source = make_source()
    result = ingest(source, [Raw("  市水务局　通报 ", repost(STORY), "HTTP://News.Example.CN:80/a/?utm_medium=x&b=2&a=1")],
                    enqueue=False)
    item = Item.objects.get(pk=result.ids[0])
    assert item.title == "市水务局 通报"
    assert "责任编辑" not in item.body and "来源：" not in item.body
    assert item.canonical_url == "http://news.example.cn/a?a=1&b=2"
    assert item.stage == Stage.RECEIVED


def test_exact_and_near_duplicates_become_reposts(world):
    source, portal = make_source(), make_source("门户网站")
    original, unrelated = _ingest_and_process(source, [
        Raw("城东水厂水质异常 市水务局启动应急预案", STORY, "http://a.example.cn/1", minutes_ago(30)),
        Raw("冬季文化惠民活动启动", OTHER, "http://a.example.cn/2", minutes_ago(30)),
    ])
    exact, near = _ingest_and_process(portal, [
        Raw("城东水厂水质异常", repost(STORY), "http://b.example.cn/x", minutes_ago(20)),
        Raw("水厂水质问题后续", edited(STORY), "http://c.example.cn/y", minutes_ago(10)),
    ])
    assert original.repost_of_id is None and unrelated.repost_of_id is None
    assert exact.repost_of_id == original.pk and exact.similarity == 1.0
    assert near.repost_of_id == original.pk and near.similarity >= 0.5
    original.refresh_from_db()
    assert original.repost_count == 2
    assert ItemBand.objects.count() == 4 * 32
    assert all(item.stage == Stage.DONE and item.minhash for item in (original, exact, near))


def test_reposts_inside_one_batch(world):
    items = _ingest_and_process(make_source(), [
        Raw("城东水厂水质异常", STORY, "http://a.example.cn/1", minutes_ago(5)),
        Raw("城东水厂水质异常（转）", repost(STORY), "http://b.example.cn/1", minutes_ago(4)),
        Raw("转：城东水厂水质异常", edited(STORY), "http://c.example.cn/1", minutes_ago(3)),
    ])
    assert [item.repost_of_id for item in items] == [None, items[0].pk, items[0].pk]
    assert len({item.event_id for item in items}) == 1


def test_rules_mark_relevance_and_record_matches(world):
    make_rule(world.root, "水务", "(自来水|水质)&水务局")
    sensitive = make_rule(world.root, "敏感", "超标", purpose="sensitive")
    make_rule(world.root, "坏规则", "(水务局")  # a syntax error must not stop the others
    water, culture = _ingest_and_process(make_source(), [
        Raw("水质异常", STORY, published=minutes_ago(5)), Raw("文化活动", OTHER, published=minutes_ago(5))])
    assert water.relevant and not culture.relevant
    matches = {m.rule.name: m.terms for m in RuleMatch.objects.filter(item=water).select_related("rule")}
    assert set(matches) == {"水务", "敏感"}
    assert "水务局" in matches["水务"] and matches["敏感"] == ["超标"]
    assert culture.event_id is None, "irrelevant items do not form events"
    assert water.event_id is not None
    assert sensitive.pk in current_rules()[1]


def test_rule_changes_rebuild_the_automaton(world):
    rule = make_rule(world.root, "文化", "图书馆")
    first = _ingest_and_process(make_source(), [Raw("文化活动", OTHER, published=minutes_ago(5))])[0]
    assert first.relevant
    rule.expression = "博物馆"
    rule.version += 1
    rule.save()
    second = _ingest_and_process(make_source("另一源"), [Raw("文化活动二", OTHER + "又讯。", published=minutes_ago(4))])[0]
    assert not second.relevant


def test_without_relevance_rules_everything_is_in_scope(world):
    item = _ingest_and_process(make_source(), [Raw("文化活动", OTHER, published=minutes_ago(5))])[0]
    assert item.relevant and item.event_id and item.search_text


def test_search_text_is_segmented(world):
    item = _ingest_and_process(make_source(), [Raw("城东水厂水质异常", STORY, published=minutes_ago(5))])[0]
    tokens = item.search_text.split()
    assert "水质" in tokens and "水务局" in tokens


def test_processing_twice_changes_nothing(world):
    source = make_source()
    result = ingest(source, [Raw("城东水厂水质异常", STORY, "http://a.example.cn/1", minutes_ago(5)),
                             Raw("转载", repost(STORY), "http://b.example.cn/1", minutes_ago(4))], enqueue=False)
    assert process_items(result.ids) == 2
    event = Event.objects.get()
    samples = EventHeat.objects.count()
    assert process_items(result.ids) == 0
    event_after = Event.objects.get()
    assert (event_after.item_count, event_after.repost_count) == (event.item_count, event.repost_count) == (2, 1)
    assert EventHeat.objects.count() == samples
    assert ItemBand.objects.count() == 64 and RuleMatch.objects.count() == 0


def test_sentiment_is_scored_when_the_service_exists(world):
    pytest.importorskip("opinion.sentiment_service")
    item = _ingest_and_process(make_source(), [Raw("城东水厂水质异常", STORY, published=minutes_ago(5))])[0]
    if item.sentiment:
        assert item.sentiment in {"pos", "neu", "neg"} and 0 <= item.sentiment_confidence <= 1
