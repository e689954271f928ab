"""Source management pages: create/edit through B1's opinion.sources, "立即抓取" (queued, audited),
a push token shown once, file import all-or-nothing with the row number in the Chinese error."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditAction, AuditEntry
from opinion.models import Item, Source
from opinion.sources import hash_token
from opinion.tests import test_views_helpers as helpers
from opinion.tests.test_views_helpers import make_source

pytestmark = pytest.mark.django_db

analyst = helpers.analyst


def test_create_and_edit_source(world, login, analyst):
    client = login(analyst)
    assert client.get("/opinion/sources/new/").status_code == 200
    missing = client.post("/opinion/sources/new/", {"name": "新华网", "kind": "rss", "interval_minutes": 15,
                                                    "weight": 1})
    assert missing.status_code == 400 and "须填写地址" in missing.content.decode()
    response = client.post("/opinion/sources/new/", {
        "name": "新华网", "kind": "rss", "url": "https://www.news.cn/rss.xml", "interval_minutes": 30, "weight": 2,
        "is_official": "on", "enabled": "on", "options": ""})
    source = Source.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/opinion/sources/{source.pk}/"
    assert (source.interval_minutes, source.weight, source.is_official, source.created_by) == (30, 2.0, True, analyst)
    duplicate = client.post("/opinion/sources/new/", {"name": "新华网", "kind": "push", "interval_minutes": 15,
                                                      "weight": 1})
    assert duplicate.status_code == 400 and "已有同名信息源" in duplicate.content.decode()
    edit = client.get(f"/opinion/sources/{source.pk}/edit/").content.decode()
    assert "https://www.news.cn/rss.xml" in edit
    response = client.post(f"/opinion/sources/{source.pk}/edit/", {
        "name": "新华网", "kind": "rss", "url": "https://www.news.cn/feed.xml", "interval_minutes": 10, "weight": 2,
        "enabled": "on", "options": ""})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.url == "https://www.news.cn/feed.xml" and source.interval_minutes == 10 and not source.is_official
    assert AuditEntry.objects.filter(object_type="opinion.source", action=AuditAction.UPDATE).exists()


def test_fetch_now_is_queued_and_audited(world, login, analyst, django_capture_on_commit_callbacks):
    source = make_source("人民网")
    client = login(analyst)
    assert 'id="fetch-now"' in client.get(f"/opinion/sources/{source.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/opinion/sources/{source.pk}/fetch/")
    assert response.status_code == 302 and len(callbacks) == 1  # the fetch task, enqueued on commit
    assert AuditEntry.objects.filter(object_type="opinion.source", object_id=str(source.pk),
                                     changes__fetch__1="立即抓取").exists()
    push = make_source("推送", kind="push", url="")
    response = client.post(f"/opinion/sources/{push.pk}/fetch/", follow=True)
    assert "不能抓取" in response.content.decode()


def test_push_token_is_shown_once(world, login, analyst):
    source = make_source("合作平台", kind="push", url="")
    client = login(analyst)
    response = client.post(f"/opinion/sources/{source.pk}/token/")
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = html.split('id="new-token" class="user-select-all">')[1].split("<")[0]
    source.refresh_from_db()
    assert token.startswith("yp_") and source.push_token_hash == hash_token(token)
    again = client.get(f"/opinion/sources/{source.pk}/").content.decode()
    assert token not in again and "已设置令牌" in again and "/api/opinion/push" in again


def _csv(rows: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile("导入.csv", ("\n".join(["标题,正文,链接,发布时间,编号", *rows]) + "\n").encode("utf-8"),
                              content_type="text/csv")


def test_import_is_all_or_nothing_with_row_number(world, login, analyst):
    source = make_source("人工导入", kind="file", url="")
    client = login(analyst)
    good = "某区召开防汛工作会议,会议要求各部门压实防汛责任，确保群众生命财产安全，做好应急值守。,https://example.cn/a,2026-05-01 10:20,a1"
    bad = "第二条新闻标题,正文内容足够长以通过检查，说明相关情况并回应群众关切的问题。,https://example.cn/b,明天上午,a2"
    response = client.post(f"/opinion/sources/{source.pk}/import/", {"file": _csv([good, bad])})
    html = response.content.decode()
    assert response.status_code == 400 and "第 3 行" in html and "发布时间" in html
    assert not Item.objects.filter(source=source).exists()
    wrong = client.post(f"/opinion/sources/{source.pk}/import/",
                        {"file": SimpleUploadedFile("a.txt", b"x", content_type="text/plain")})
    assert wrong.status_code == 400 and "只支持 .csv 或 .xlsx 文件" in wrong.content.decode()
    response = client.post(f"/opinion/sources/{source.pk}/import/", {"file": _csv([good])}, follow=True)
    assert "导入完成：新增 1 条" in response.content.decode()
    assert Item.objects.filter(source=source).count() == 1


def test_viewer_cannot_manage_sources(world, login):
    source = make_source("人工导入", kind="file", url="")
    client = login(world.first)
    assert client.post(f"/opinion/sources/{source.pk}/import/", {"file": _csv(["a,b,,,"])}).status_code == 403
    assert client.get(f"/opinion/sources/{source.pk}/edit/").status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == 1  # the POST is logged
