"""Chinese full-text search (opinion.search): SQLite FTS5 kept in sync by triggers, PostgreSQL GIN
over to_tsvector('simple'); queries of 2, 3 and 4 characters, AND of tokens, hostile input.

Runs on whichever database the suite uses (SQLite by default; PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import pytest
from django.db import connection

from opinion.models import Item
from opinion.search import query_tokens, search_items
from opinion.tests.test_views_helpers import make_item, make_source

pytestmark = pytest.mark.django_db

DOCS = {
    "water": ("自来水厂突发停水", "多个小区居民反映自来水停水超过十二小时，供水公司称正在抢修管网。"),
    "chem": ("化工厂泄漏引发关注", "某化工厂发生泄漏，环境保护部门已赶赴现场监测空气质量。"),
    "park": ("城市公园新开放", "市民游园热情高涨，周末客流明显增加。"),
    "gov": ("人民政府召开新闻发布会", "市人民政府通报防汛工作进展，要求各部门压实责任。"),
}


@pytest.fixture
def items(db):
    source = make_source("测试源")
    return {key: make_item(source, title, body, segment=True) for key, (title, body) in DOCS.items()}


def found(query: str) -> set[str]:
    ids = set(search_items(Item.objects.all(), query).values_list("pk", flat=True))
    titles = dict(Item.objects.values_list("pk", "title"))
    return {key for key, (title, _) in DOCS.items() if any(titles[i] == title for i in ids)}


@pytest.mark.parametrize(("query", "expected"), [
    ("停水", {"water"}),            # 2 characters
    ("自来水", {"water"}),          # 3
    ("环境保护", {"chem"}),         # 4
    ("人民政府", {"gov"}),          # 4, a word jieba splits for search
    ("化工厂泄漏", {"chem"}),       # two tokens, both required
    ("化工厂 公园", set()),         # AND: no item has both
    ("市民", {"park"}),
    ("停水 小区", {"water"}),
    ("管网抢修", {"water"}),
])
def test_queries(items, query, expected):
    assert found(query) == expected


@pytest.mark.parametrize("query", ['"停水" OR 污染*', "停水'); DROP TABLE opinion_item; --", "NEAR(停水 小区)",
                                   '^停水 :col "', "停水 AND NOT 公园", "%_\\", "停水\x00"])
def test_hostile_input_is_only_text(items, query):
    result = found(query)  # no exception, no syntax error from the database
    assert result <= {"water"}
    assert Item.objects.count() == len(DOCS)


def test_operators_are_not_operators(items):
    # "OR" is a word to look for, not a disjunction: nothing has both "停水" and "or".
    assert found("停水 OR 公园") == set()


def test_empty_and_punctuation_queries(items):
    assert search_items(Item.objects.all(), "").count() == len(DOCS)
    assert search_items(Item.objects.all(), "   ").count() == len(DOCS)
    assert search_items(Item.objects.all(), "！！，。").count() == 0
    assert query_tokens("") == []


def test_index_follows_updates_and_deletes(items):
    water = items["water"]
    from yishi_text.opinion.segment import index_tokens

    water.search_text = index_tokens("暴雨导致道路积水")
    water.save(update_fields=["search_text"])
    assert found("停水") == set() and found("积水") == {"water"}
    Item.objects.filter(pk=items["chem"].pk).update(search_text=index_tokens("地铁临时停运"))
    assert found("化工厂") == set() and found("停运") == {"chem"}
    water.delete()
    assert found("积水") == set()
    make_item(make_source(), "新到的停水通知", "水务集团发布停水通知", segment=True)
    assert search_items(Item.objects.all(), "停水通知").count() == 1


def test_search_combines_with_other_filters(items):
    qs = search_items(Item.objects.filter(title__startswith="化工"), "泄漏")
    assert [i.title for i in qs] == [DOCS["chem"][0]]
    assert search_items(Item.objects.exclude(pk=items["chem"].pk), "泄漏").count() == 0


def test_items_page_searches(world, login, items):
    html = login(world.first).get("/opinion/items/?q=停水").content.decode()
    assert "自来水厂突发停水" in html and "城市公园新开放" not in html


def test_pipeline_items_are_searchable(items):
    """Items stored by B1's pipeline (ingest + process_items) get tokens and land in the index."""
    import datetime

    from django.utils import timezone

    from opinion.pipeline import ingest, process_items

    class Raw:
        def __init__(self, n: int, title: str, body: str) -> None:
            self.title, self.body, self.url = title, body, f"https://example.cn/news/{n}"
            self.published, self.external_id, self.author_kind = timezone.now() - datetime.timedelta(minutes=n), str(n), ""

    source = make_source("管道源")
    result = ingest(source, [Raw(1, "地震局发布余震预报", "地震局表示近期可能发生余震，请市民注意防范，做好应急准备工作。"),
                             Raw(2, "高校招生政策调整", "教育部门宣布高校招生政策调整，考生和家长高度关注相关细节。")],
                    enqueue=False)
    process_items(result.ids)
    assert search_items(Item.objects.all(), "余震").filter(source=source).count() == 1
    assert search_items(Item.objects.all(), "招生政策").filter(source=source).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: the GIN expression index")
def test_postgres_uses_gin_index(items):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'opinion_item_search_gin'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "to_tsvector('simple'" in definition
    sql = str(search_items(Item.objects.all(), "停水").query)
    assert "to_tsvector('simple', \"opinion_item\".\"search_text\")" in sql
    # The filter repeats the index expression, so the planner can use the index (forced here: with
    # four rows it would rightly prefer a sequential scan).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # nor walk another index and filter
        plan = search_items(Item.objects.order_by(), "停水").explain()
    assert "opinion_item_search_gin" in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite: the FTS5 table and its triggers")
def test_sqlite_fts_table_and_triggers(items):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'opinion_item_fts%' AND type IN ('table', 'trigger')")
        names = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM opinion_item_fts")
        (rows,) = cursor.fetchone()
    assert {"opinion_item_fts", "opinion_item_fts_ai", "opinion_item_fts_ad", "opinion_item_fts_au"} <= names
    assert rows == len(DOCS)
