"""Monitoring pages: wall (and its htmx poll), items (filters, pagination, detail, label), events,
sources, the 工作台 panel; permissions and query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditAction, AuditEntry
from opinion.models import FetchAllowlist, FetchLog, Item, SourceDayCount
from opinion.tests import test_views_helpers as helpers
from opinion.tests.test_views_helpers import (
    heat,
    make_event,
    make_item,
    make_rule,
    make_source,
    match,
    seed,
)

pytestmark = pytest.mark.django_db

# Fixtures shared with the other monitoring tests.
analyst = helpers.analyst
analyst_b = helpers.analyst_b

PAGES = ["/opinion/", "/opinion/?range=7d", "/opinion/items/", "/opinion/events/", "/opinion/rules/",
         "/opinion/sources/"]


def count_queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", PAGES)
def test_staff_without_opinion_view_gets_403(world, login, url):
    client = login(world.staff_a)
    assert client.get(url).status_code == 403


def test_refused_write_is_audited(world, login):
    client = login(world.staff_a)
    before = AuditEntry.objects.filter(action=AuditAction.DENIED).count()
    assert client.post("/opinion/rules/new/", {"name": "x"}).status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == before + 1


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_viewer(world, login, url):
    source = make_source("人民网")
    event = make_event(heat=42.5, item_count=3, negative=1, neutral=1, positive=1, source_count=1)
    make_item(source, "自来水厂突发停水", event=event, sentiment="neg")
    client = login(world.first)  # opinion.view, not opinion.manage
    response = client.get(url)
    assert response.status_code == 200
    assert "舆情" in response.content.decode()


def test_wall_shows_stream_trend_events_sources(world, login):
    source = make_source("新华网")
    SourceDayCount.objects.create(source=source, date=timezone.localdate(), new=7)
    event = make_event("化工厂泄漏事件", heat=88.0, item_count=5)
    make_item(source, "化工厂泄漏引发关注", sentiment="neg")
    make_item(source, "志愿者连夜救援", sentiment="pos", sentiment_label="pos")
    client = login(world.first)
    html = client.get("/opinion/").content.decode()
    assert "化工厂泄漏引发关注" in html and "志愿者连夜救援" in html
    assert f'data-event="{event.pk}"' in html
    assert 'data-chart="opinion-trend-data"' in html and '"type": "bar"' in html
    assert '<td>7</td>' in html  # items today
    assert 'hx-trigger="every 10s"' in html
    assert 'data-neg>1<' in html and 'data-pos>1<' in html


def test_wall_shows_open_alert_counts(world, login):
    from opinion.models import Alert

    Alert.objects.create(mode="manual", level="red", title="红色预警", reason="测试", dedup_key="t:1")
    Alert.objects.create(mode="manual", level="yellow", title="黄色预警", reason="测试", dedup_key="t:2",
                         status="dismissed")
    html = login(world.first).get("/opinion/").content.decode()
    assert 'data-open-alerts>1<' in html
    assert 'data-alert-level="red">红色 1<' in html


def test_wall_poll_returns_only_new_items(world, login):
    source = make_source()
    old = make_item(source, "早先的报道")
    client = login(world.first)
    html = client.get("/opinion/").content.decode()
    assert f"after={old.pk}" in html
    response = client.get(f"/opinion/wall/stream/?after={old.pk}", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "早先的报道" not in body and f"after={old.pk}" in body
    new = make_item(source, "刚刚推送的消息")
    body = client.get(f"/opinion/wall/stream/?after={old.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert "刚刚推送的消息" in body and "早先的报道" not in body
    assert f"after={new.pk}" in body and 'hx-swap-oob="afterbegin:#wall-stream"' in body


def test_wall_query_count_is_small_and_flat(world, login, settings):
    client = login(world.first)
    source = make_source()
    seed(10, source)
    small = count_queries(client, "/opinion/")
    for i in range(8):
        make_source(f"源{i}")
    seed(150, source, make_event())
    assert count_queries(client, "/opinion/") == small
    assert small <= 12


def test_item_list_filters(world, login):
    a, b = make_source("甲报"), make_source("乙网")
    day = timezone.now() - datetime.timedelta(days=3)
    neg = make_item(a, "负面甲", sentiment="neg", relevant=True)
    pos = make_item(b, "正面乙", sentiment="pos")
    corrected = make_item(b, "纠正为负面", sentiment="pos", sentiment_label="neg")
    old = make_item(a, "三天前的旧闻", published_at=day)
    skipped = make_item(a, "被跳过的", stage="skipped", skip_reason="太短")
    rule = make_rule(world.unit_a, "供水", "供水")
    match(pos, rule, ["供水"])
    client = login(world.leader_a)

    def titles(query: str) -> set[str]:
        response = client.get("/opinion/items/" + query)
        assert response.status_code == 200
        return {it.title for it in response.context["object_list"]}

    assert titles("") == {neg.title, pos.title, corrected.title, old.title}
    assert skipped.title not in titles("")
    assert titles(f"?source={a.pk}") == {neg.title, old.title}
    assert titles("?sentiment=neg") == {neg.title, corrected.title}
    assert titles("?relevant=1") == {neg.title}
    assert titles(f"?date_to={(timezone.localdate() - datetime.timedelta(days=2)).isoformat()}") == {old.title}
    assert titles(f"?rule={rule.pk}") == {pos.title}
    bad = client.get("/opinion/items/?date_from=yesterday&sentiment=bad")
    assert "起始日期格式应为 YYYY-MM-DD" in bad.content.decode() and "情感倾向无效" in bad.content.decode()


def test_item_list_rule_of_another_unit_filters_nothing(world, login):
    source = make_source()
    item = make_item(source, "信息科规则命中")
    rule_b = make_rule(world.unit_b, "信息科规则", "命中")
    match(item, rule_b, ["命中"])
    client = login(world.leader_a)  # sees 宣传科's subtree, not 信息科
    response = client.get(f"/opinion/items/?rule={rule_b.pk}")
    assert response.context["page_obj"].paginator.count == 0
    assert "信息科规则" not in response.content.decode()


def test_item_list_pagination_and_htmx_partial(world, login):
    seed(45)
    client = login(world.first)
    first = client.get("/opinion/items/")
    assert first.context["page_obj"].paginator.count == 45 and len(first.context["object_list"]) == 20
    third = client.get("/opinion/items/?page=3")
    assert len(third.context["object_list"]) == 5
    partial = client.get("/opinion/items/?sentiment=neg", HTTP_HX_REQUEST="true")
    assert partial["HX-Push-Url"] == "/opinion/items/?sentiment=neg"
    assert 'id="item-results"' in partial.content.decode() and "<html" not in partial.content.decode()


def test_item_list_query_count_independent_of_page_size(world, login):
    source = make_source()
    event = make_event()
    seed(120, source, event)
    client = login(world.first)
    counts = {url: count_queries(client, url) for url in
              ["/opinion/items/", "/opinion/items/?per_page=100", "/opinion/items/?per_page=50&sentiment=neg"]}
    assert len(set(counts.values())) == 1, counts
    assert max(counts.values()) <= 12, counts


def test_item_detail_shows_chain_rules_and_sentiment(world, login, analyst):
    a, b = make_source("央视新闻"), make_source("地方论坛")
    original = make_item(a, "水库大坝出现险情", sentiment="neg", sentiment_confidence=0.91,
                         url="https://news.example.cn/a?utm_source=x", canonical_url="https://news.example.cn/a")
    repost = make_item(b, "转：水库大坝出现险情", repost_of=original, similarity=0.87)
    original.repost_count = 1
    original.save()
    own = make_rule(world.unit_a, "水利险情", "水库&险情")
    other = make_rule(world.unit_b, "信息科的规则", "大坝")
    match(original, own, ["水库", "险情"])
    match(original, other, ["大坝"])
    client = login(analyst)
    html = client.get(f"/opinion/items/{repost.pk}/").content.decode()
    assert "水库大坝出现险情" in html and f'data-original="{original.pk}"' in html and f'data-repost="{repost.pk}"' in html
    html = client.get(f"/opinion/items/{original.pk}/").content.decode()
    assert "水利险情" in html and "信息科的规则" not in html  # rules of other units stay hidden
    assert "https://news.example.cn/a" in html and 'data-confidence>0.91<' in html
    assert 'id="label-form"' in html
    viewer_html = login(world.first, Client()).get(f"/opinion/items/{original.pk}/").content.decode()
    assert 'id="label-form"' not in viewer_html


def test_label_correction_needs_manage(world, login):
    item = make_item(make_source(), "被误判的新闻", sentiment="neg")
    response = login(world.first).post(f"/opinion/items/{item.pk}/label/", {"label": "neu"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.sentiment_label == ""


def test_label_correction_by_analyst(world, login, analyst):
    item = make_item(make_source(), "被误判的新闻", sentiment="neg")
    client = login(analyst)
    response = client.post(f"/opinion/items/{item.pk}/label/", {"label": "neu"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.sentiment_label == "neu" and item.labelled_by_id == analyst.pk
    assert client.post(f"/opinion/items/{item.pk}/label/", {"label": "bad"}).status_code == 400


def test_event_list_and_detail(world, login, analyst):
    a, b = make_source("人民网"), make_source("新浪"),
    event = make_event("暴雨致城区内涝", heat=66.6, growth=1.2, item_count=4, repost_count=1, source_count=2,
                       negative=2, neutral=1, positive=1, keywords=["暴雨", "内涝"])
    original = make_item(a, "暴雨致城区内涝", event=event, sentiment="neg")
    make_item(b, "转载：暴雨致城区内涝", event=event, repost_of=original, sentiment="neg")
    make_item(b, "救援队伍赶赴现场", event=event, sentiment="pos")
    heat(event)
    client = login(world.first)
    html = client.get("/opinion/events/").content.decode()
    assert "暴雨致城区内涝" in html and "66.6" in html and "data-mix" in html and "+120%" in html
    html = client.get(f"/opinion/events/{event.pk}/").content.decode()
    assert 'data-chart="event-timeline-data"' in html and '"type": "line"' in html
    assert f'data-source-group="{a.pk}"' in html and f'data-source-group="{b.pk}"' in html
    assert f'data-chain="{original.pk}"' in html
    assert "暴雨" in html and "内涝" in html and "负面 2（50.0%）" in html
    assert "生成专报" not in html  # a leader reads; ordering the special report is the analysts' work
    from django.test import Client

    html = login(analyst, Client()).get(f"/opinion/events/{event.pk}/").content.decode()
    assert "生成专报" in html and 'name="kind" value="special"' in html and f"?event={event.pk}" in html
    assert client.get("/opinion/events/999999/").status_code == 404


def test_event_detail_query_count_flat(world, login):
    event = make_event()
    source = make_source()
    seed(10, source, event)
    heat(event, 3)
    client = login(world.first)
    small = count_queries(client, f"/opinion/events/{event.pk}/")
    seed(100, make_source(), event)
    heat(event, 30)
    assert count_queries(client, f"/opinion/events/{event.pk}/") == small


def test_sources_list_and_detail(world, login):
    source = make_source("中国新闻网", last_error="连接超时（10 秒）", last_error_at=timezone.now())
    today = timezone.localdate()
    for i in range(8):
        SourceDayCount.objects.create(source=source, date=today - datetime.timedelta(days=i), new=i + 1)
    FetchLog.objects.create(source=source, started_at=timezone.now(), ok=False, error="连接超时（10 秒）")
    client = login(world.first)
    html = client.get("/opinion/sources/").content.decode()
    assert "中国新闻网" in html and "连接超时" in html and 'data-today>1<' in html
    assert "7 · 6 · 5 · 4 · 3 · 2 · 1" in html  # last 7 days, oldest first
    html = client.get(f"/opinion/sources/{source.pk}/").content.decode()
    assert 'id="fetch-log"' in html and "连接超时（10 秒）" in html
    assert 'id="fetch-now"' not in html  # viewer: no buttons


def test_source_pages_need_manage(world, login):
    source = make_source()
    client = login(world.first)
    assert client.get("/opinion/sources/new/").status_code == 403
    assert client.post(f"/opinion/sources/{source.pk}/fetch/").status_code == 403
    assert client.post(f"/opinion/sources/{source.pk}/token/").status_code == 403


def test_allowlist_admin_only(world, login, analyst):
    assert login(analyst).get("/opinion/sources/allowlist/").status_code == 403
    client = login(world.admin, Client())
    response = client.post("/opinion/sources/allowlist/", {"pattern": "10.0.0.0/8", "note": "内网门户"})
    assert response.status_code == 302
    entry = FetchAllowlist.objects.get()
    assert entry.pattern == "10.0.0.0/8"
    assert AuditEntry.objects.filter(object_type="opinion.fetchallowlist", action=AuditAction.CREATE).exists()
    bad = client.post("/opinion/sources/allowlist/", {"pattern": "10.0.0.0/33"})
    assert bad.status_code == 400 and "网段格式不正确" in bad.content.decode()
    assert client.post(f"/opinion/sources/allowlist/{entry.pk}/delete/").status_code == 302
    assert not FetchAllowlist.objects.exists()


def test_home_panel(world, login, settings):
    source = make_source()
    make_item(source, "今日负面", sentiment="neg")
    make_item(source, "今日中性", sentiment="neu")
    make_event("热点一", heat=30)
    client = login(world.first)
    client.get("/")  # warm caches of the other panels
    from django.core.cache import cache

    cache.delete("opinion:home_panel")
    html = client.get("/").content.decode()
    assert 'id="opinion-panel"' in html and "data-today>2<" in html and "data-negative-share>50%<" in html
    assert "热点一" in html
    from django.test import RequestFactory

    from opinion.views import home_panel_context

    request = RequestFactory().get("/")
    request.user = world.first
    from core.scoping import access_for

    access_for(world.first)  # the request's scope, computed once by the navigation anyway
    cache.delete("opinion:home_panel")
    with CaptureQueriesContext(connection) as ctx:
        home_panel_context(request)
    assert len(ctx.captured_queries) <= 3  # figures (1) + top events (1) + open alerts (1)
    with CaptureQueriesContext(connection) as ctx:
        home_panel_context(request)
    assert len(ctx.captured_queries) <= 1  # cached for a minute: only the per-user alert count
    staff = login(world.staff_a, Client()).get("/")
    assert staff.status_code == 200 and 'id="opinion-panel"' not in staff.content.decode()


def test_items_are_not_unit_scoped_but_need_view(world, login):
    item = make_item(make_source(), "公开报道")
    assert login(world.first).get(f"/opinion/items/{item.pk}/").status_code == 200
    assert login(world.staff_b, Client()).get(f"/opinion/items/{item.pk}/").status_code == 403
    assert Item.objects.count() == 1
