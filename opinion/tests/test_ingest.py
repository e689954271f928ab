"""Getting items in: the push API, file import, source actions, and fetching sources from a local server."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from opinion.fetch import clear_robots_cache
from opinion.models import FetchAllowlist, FetchLog, Item, Source, SourceDayCount
from opinion.sources import (
    backoff_minutes,
    do_create_push_token,
    do_create_source,
    do_delete_source,
    do_import_items,
    do_set_source_enabled,
    do_update_source,
    fetch_and_ingest,
)
from opinion.tests.httpfixture import local_server
from opinion.tests.pipeline_helpers import OTHER, STORY

pytestmark = pytest.mark.django_db

PUSH = "/api/opinion/push"


@pytest.fixture
def push_source(world):
    source = do_create_source(name="政务新媒体推送", kind="push", acting_user=world.admin)
    return source, do_create_push_token(source, world.admin)


def _push(client, token, payload, **extra):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload, ensure_ascii=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(PUSH, data=body, content_type="application/json", **headers, **extra)


def _items(n, prefix="推送"):
    return [{"id": f"{prefix}-{i}", "title": f"{prefix}第{i}条：市政府部署城市更新工作",
             "body": STORY if i % 2 else OTHER, "url": f"http://push.example.cn/{prefix}/{i}",
             "published_at": "2026-11-25T08:00:00+08:00"} for i in range(n)]


# --- push API ----------------------------------------------------------------------------------------


def test_push_token_is_shown_once_and_stored_hashed(push_source):
    source, token = push_source
    source.refresh_from_db()
    assert token.startswith("yp_") and token not in source.push_token_hash and len(source.push_token_hash) == 64
    entries = AuditEntry.objects.filter(object_type="opinion.source", object_id=str(source.pk))
    assert token not in json.dumps(list(entries.values_list("changes", flat=True)), ensure_ascii=False)


def test_push_stores_items_and_counts_duplicates(client, push_source):
    source, token = push_source
    response = _push(client, token, {"items": _items(3)})
    assert response.status_code == 200, response.content
    assert response.json() == {"received": 3, "new": 3, "duplicates": 0, "skipped": 0}
    again = _push(client, token, {"items": _items(4) + [{"title": "短", "body": ""}]})
    assert again.json() == {"received": 5, "new": 1, "duplicates": 3, "skipped": 1}
    assert Item.objects.filter(source=source).count() == 5  # 4 new + 1 skipped (kept with its reason)
    assert SourceDayCount.objects.get(source=source).duplicates == 3


def test_push_requires_the_source_token(client, push_source, world):
    source, token = push_source
    assert _push(client, None, {"items": _items(1)}).status_code == 401
    assert _push(client, "yp_wrong", {"items": _items(1)}).status_code == 401
    do_set_source_enabled(source, False, acting_user=world.admin)
    assert _push(client, token, {"items": _items(1)}).status_code == 401
    do_set_source_enabled(source, True, acting_user=world.admin)
    new_token = do_create_push_token(source, world.admin)
    assert _push(client, token, {"items": _items(1)}).status_code == 401, "the old token is replaced"
    assert _push(client, new_token, {"items": _items(1)}).status_code == 200
    assert Item.objects.count() == 1


def test_push_bad_input(client, push_source):
    _source, token = push_source
    assert _push(client, token, "{not json").status_code in (400, 422)
    too_many = _push(client, token, {"items": _items(501)})
    assert too_many.status_code == 422
    assert _push(client, token, {"items": []}).status_code == 422
    assert _push(client, token, [{"title": "数组不是对象"}]).status_code == 422
    bad_date = _push(client, token, {"items": [{"title": "日期错误的推送", "body": STORY, "published_at": "昨天"}]})
    assert bad_date.status_code == 422
    assert "detail" in bad_date.json()
    assert Item.objects.count() == 0


def test_push_max_items_accepted(client, push_source):
    _source, token = push_source
    response = _push(client, token, {"items": _items(500, "批量")})
    assert response.status_code == 200 and response.json()["new"] == 500


# --- source actions -----------------------------------------------------------------------------------


def test_source_validation_and_permissions(world):
    with pytest.raises(ValidationError) as info:
        do_create_source(name="无地址", kind="rss", acting_user=world.admin)
    assert "url" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        do_create_source(name="间隔", kind="rss", url="http://a.example.cn/rss", interval_minutes=0,
                         acting_user=world.admin)
    assert "interval_minutes" in info.value.message_dict
    with pytest.raises(ValidationError):
        do_create_source(name="协议", kind="web", url="ftp://a.example.cn/", acting_user=world.admin)
    with pytest.raises(PermissionDenied):
        do_create_source(name="越权", kind="file", acting_user=world.staff_a)
    source = do_create_source(name="订阅", kind="rss", url="http://a.example.cn/rss", acting_user=world.admin)
    do_update_source(source, interval_minutes=30, acting_user=world.admin)
    assert Source.objects.get(pk=source.pk).interval_minutes == 30
    actions = list(AuditEntry.objects.filter(object_type="opinion.source").values_list("action", flat=True))
    assert "create" in actions and "update" in actions and "denied" in actions
    do_delete_source(source, acting_user=world.admin)
    assert not Source.objects.filter(pk=source.pk).exists()


def test_source_with_items_cannot_be_deleted(world):
    source = do_create_source(name="表格", kind="file", acting_user=world.admin)
    do_import_items(source, SimpleUploadedFile("a.csv", f"标题,正文\n市政府会议,{OTHER}\n".encode()),
                    acting_user=world.admin)
    with pytest.raises(ValidationError, match="不能删除"):
        do_delete_source(source, acting_user=world.admin)


# --- file import ----------------------------------------------------------------------------------------


def test_import_csv_all_or_nothing(world):
    source = do_create_source(name="表格", kind="file", acting_user=world.admin)
    good = "标题,正文,链接,发布时间,编号\n" + "\n".join(
        f"导入第{i}条：市政府会议,{OTHER},http://f.example.cn/{i},2026-11-25 08:00,{i}" for i in range(5))
    result = do_import_items(source, SimpleUploadedFile("good.csv", good.encode("gbk")), acting_user=world.admin)
    assert (result.new, result.duplicates) == (5, 0)
    again = do_import_items(source, SimpleUploadedFile("good.csv", good.encode()), acting_user=world.admin)
    assert (again.new, again.duplicates) == (0, 5)
    bad = good.replace("2026-11-25 08:00,3", "不是日期,3") + "\n新增一条：市政府会议," + OTHER + ",http://f.example.cn/99,2026-11-25,99"
    with pytest.raises(ValidationError) as info:
        do_import_items(source, SimpleUploadedFile("bad.csv", bad.encode()), acting_user=world.admin)
    assert "5" in str(info.value) or "行" in str(info.value)
    assert Item.objects.filter(source=source).count() == 5, "a bad row rejects the whole file"
    assert AuditEntry.objects.filter(action="import_rejected").exists()


def test_import_xlsx(world):
    from openpyxl import Workbook

    source = do_create_source(name="表格", kind="file", acting_user=world.admin)
    book = Workbook()
    sheet = book.active
    sheet.append(["标题", "正文", "链接"])
    sheet.append(["表格导入：城东水厂水质", STORY, "http://x.example.cn/1"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = do_import_items(source, SimpleUploadedFile("items.xlsx", buffer.getvalue()), acting_user=world.admin)
    assert result.new == 1


def test_import_api(client, world, login):
    source = do_create_source(name="表格", kind="file", acting_user=world.admin)
    c = login(world.admin)
    upload = SimpleUploadedFile("a.csv", f"标题,正文\n接口导入：市政府会议,{OTHER}\n".encode())
    response = c.post(f"/api/opinion/sources/{source.pk}/import", {"file": upload})
    assert response.status_code == 200, response.content
    assert response.json()["new"] == 1
    broken = SimpleUploadedFile("a.csv", b"\x00\x01\x02garbage")
    assert c.post(f"/api/opinion/sources/{source.pk}/import", {"file": broken}).status_code == 400


# --- fetching sources ------------------------------------------------------------------------------------


@pytest.fixture
def server(db):
    clear_robots_cache()
    FetchAllowlist.objects.create(pattern="127.0.0.1")
    with local_server() as state:
        yield state
    clear_robots_cache()


def _source(server, path, kind="rss", **extra):
    return Source.objects.create(name=f"源{path}", kind=kind, url=server.base + path, **extra)


def test_fetch_rss_and_atom(server):
    rss = _source(server, "/rss.xml")
    log = fetch_and_ingest(rss)
    assert log.ok and (log.received, log.new) == (3, 3), log.error
    assert Item.objects.filter(source=rss).count() == 3
    assert Item.objects.get(external_id="news-1").canonical_url == "http://example.gov.cn/news/1.html"
    again = fetch_and_ingest(rss)
    assert again.ok and (again.new, again.duplicates) == (0, 3)
    atom = fetch_and_ingest(_source(server, "/atom.xml"))
    assert atom.ok and atom.new == 2


def test_fetch_gbk_web_page(server):
    source = _source(server, "/gbk.html", kind="web")
    log = fetch_and_ingest(source)
    assert log.ok, log.error
    item = Item.objects.get(source=source)
    assert "市交通局" in item.title and "地铁五号线" in item.body and "版权所有" not in item.body


def test_broken_fetches_keep_stored_items_and_back_off(server):
    source = _source(server, "/rss.xml", interval_minutes=10)
    assert fetch_and_ingest(source).ok
    for path in ("/bad.xml", "/loop", "/huge", "/error500"):
        Source.objects.filter(pk=source.pk).update(url=server.base + path)
        source.refresh_from_db()
        log = fetch_and_ingest(source)
        assert not log.ok and log.error, path
    source.refresh_from_db()
    assert source.consecutive_failures == 4 and source.last_error and source.last_success_at
    assert Item.objects.filter(source=source).count() == 3, "nothing stored is lost"
    assert (source.next_fetch_at - source.last_fetched_at).total_seconds() == pytest.approx(80 * 60, abs=2)
    errors = list(FetchLog.objects.filter(source=source, ok=False).values_list("error", flat=True))
    assert any("重定向次数过多" in e for e in errors) and any("5 MB" in e for e in errors)
    assert any("HTTP 500" in e for e in errors) and any("解析" in e for e in errors)
    Source.objects.filter(pk=source.pk).update(url=server.base + "/atom.xml")
    source.refresh_from_db()
    assert fetch_and_ingest(source).ok
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.last_error == ""


def test_conditional_get_not_modified(server):
    source = _source(server, "/cond.xml")
    assert fetch_and_ingest(source).new == 3
    source.refresh_from_db()
    assert source.etag == '"v1"'
    log = fetch_and_ingest(source)
    assert log.ok and log.not_modified and log.http_status == 304


def test_robots_disallowed_source(server):
    log = fetch_and_ingest(_source(server, "/private/feed.xml"))
    assert not log.ok and "robots" in log.error


def test_private_source_without_allowlist(server):
    FetchAllowlist.objects.all().delete()
    log = fetch_and_ingest(_source(server, "/rss.xml"))
    assert not log.ok and "内网" in log.error
    assert server.hits == {}


def test_backoff():
    assert [backoff_minutes(15, n) for n in (1, 2, 3)] == [15, 30, 60]
    assert backoff_minutes(600, 5) == 1440
