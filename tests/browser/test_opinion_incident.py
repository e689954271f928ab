"""舆情 end to end in a real browser: an item arrives through the pipeline, the alert reaches the
analyst's inbox, the analyst opens an incident from it, assigns a ledger task, walks it through
受理→研判→处置→反馈→已办结, and the generated special report lists it as closed."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace

import docx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ledger.models import Task
from opinion import reports
from opinion.models import Alert, Incident, Item, OpinionReport
from opinion.pipeline import ingest, process_items
from opinion.tests import b2_factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_item_to_alert_to_closed_incident_to_report(world, new_page, browser_login, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    analyst = f.analyst(world)
    sensitive = f.keyword_rule(world.unit_a, name="群体性事件", expression="砸车|围堵")
    f.alert_rule(world.unit_a, "敏感词红色预警", mode="sensitive", level="red", keyword_rule=sensitive,
                 recipients=[analyst])
    page = browser_login(new_page(), analyst)
    assert page.locator("#inbox-badge [data-unread]").count() == 0

    # An item arrives (a push delivery), processed by the pipeline as a worker would.
    raw = SimpleNamespace(title="某路口发生砸车事件引发群众围观", url="https://news.example.cn/a/9", external_id="push-9",
                          body="今日上午，某路口发生砸车事件，多名群众围观拍摄，现场秩序一度混乱。目前警方已到场处置，"
                               "具体原因正在调查之中，相关部门表示将依法处理。", published=timezone.now())
    ingest(f.source("推送接口"), [raw], enqueue=False)
    assert process_items(list(Item.objects.values_list("pk", flat=True))) == 1
    alert = Alert.objects.get()

    # The alert is in the analyst's inbox.
    page.reload()
    expect(page.locator("#inbox-badge [data-unread]")).to_have_text("1")
    page.click("#inbox-link")
    page.click("#inbox-list a:has-text('【红色预警】某路口发生砸车事件')")
    page.wait_for_url(f"{live_server.url}/opinion/alerts/{alert.pk}/")
    expect(page.locator("#alert-reason")).to_contain_text("砸车")

    # 受理 from the alert.
    page.select_option("#open-incident-form [name=owner]", str(analyst.person.pk))
    page.click("#open-incident")
    incident = Incident.objects.get()
    page.wait_for_url(f"{live_server.url}/opinion/incidents/{incident.pk}/")
    expect(page.locator("#incident-stage")).to_contain_text("受理")

    # 受理 → 研判 → 处置 (研判意见 required), a ledger task, 处置 → 反馈 → 已办结.
    page.click("#advance")
    expect(page.locator("#incident-stage")).to_contain_text("研判")
    page.click("#advance")  # without 研判意见: refused, in Chinese, nothing moves
    expect(page.locator("#advance-form")).to_contain_text("研判意见")
    page.fill("#advance-form [name=analysis]", "情况属实，已引发围观，需公开回应")
    page.click("#advance")
    expect(page.locator("#incident-stage")).to_contain_text("处置")
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    page.fill("#task-form [name=title]", "核查事件经过并报告")
    page.select_option("#task-form [name=unit]", str(world.unit_b.pk))
    page.fill("#task-form [name=due]", due)
    page.click("#assign-task")
    expect(page.locator("#incident-tasks")).to_contain_text("核查事件经过并报告")
    page.fill("#statement-form [name=text]", "警方已介入调查，将及时公布处置进展。")
    page.click("#statement-form button")
    expect(page.locator("#incident-statements")).to_contain_text("警方已介入调查")
    page.fill("#advance-form [name=measures]", "协调公安发布警情通报，网信部门加强监测")
    page.click("#advance")
    expect(page.locator("#incident-stage")).to_contain_text("反馈")
    page.fill("#advance-form [name=outcome]", "警情通报发布后舆情平息")
    page.click("#advance")
    expect(page.locator("#incident-stage")).to_contain_text("已办结")
    expect(page.locator("#incident-history [data-kind=advance]")).to_have_count(4)
    task = Task.objects.get()
    assert task.unit == world.unit_b and task.source_kind == "incident"

    # The special report on the event lists the incident as closed.
    page.goto(f"{live_server.url}/opinion/reports/")
    page.select_option("#report-form [name=kind]", "special")
    page.select_option("#report-form [name=event]", str(incident.event_id))
    page.click("#report-generate")
    report = OpinionReport.objects.get()
    assert reports.generate(report.pk) == "done"  # the worker's part, run here
    page.reload()
    with page.expect_download() as info:
        page.click(f"[data-report='{report.pk}'] a:has-text('下载')")
    with open(info.value.path(), "rb") as handle:
        document = docx.Document(io.BytesIO(handle.read()))
    cells = [" | ".join(c.text for c in row.cells) for table in document.tables for row in table.rows]
    assert any("某路口发生砸车事件" in row and "已办结" in row and "红色" in row for row in cells), cells
    assert len(document.inline_shapes) == 2
