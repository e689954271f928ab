"""Reports: daily / weekly / special .docx with charts and the incidents' stages, read back."""

from __future__ import annotations

import datetime
import io

import docx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEntry
from opinion import actions, reports
from opinion.models import Incident, OpinionReport
from opinion.tests import b2_factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def analyst(world):
    return f.analyst(world)


def yesterday_at(hour: int) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def text_of(data: bytes) -> tuple[str, int]:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts), len(document.inline_shapes)


def read(report: OpinionReport) -> tuple[str, int]:
    with report.file.open("rb") as handle:
        return text_of(handle.read())


def seed(world, analyst):
    ev = f.event("某区窗口服务投诉事件", heat=42.5, negative=2)
    src = f.source("本地日报")
    original = f.item("窗口服务遭投诉", ev=ev, src=src, sentiment="neg", published_at=yesterday_at(9))
    f.item("转载：窗口服务遭投诉", ev=ev, src=f.source("门户网站"), sentiment="neg", published_at=yesterday_at(10),
           repost_of=original)
    f.item("我区推进政务服务改革", src=src, sentiment="pos", published_at=yesterday_at(14))
    f.item("前天的信息", src=src, published_at=yesterday_at(9) - datetime.timedelta(days=1))
    incident = actions.do_open_incident(event=ev, title="窗口服务投诉处置", level="orange", unit=world.unit_a,
                                        acting_user=analyst)
    actions.do_advance_incident(incident, to_stage="analysing", acting_user=analyst)
    # Reports show the incidents as of their period: this one was opened yesterday.
    Incident.objects.filter(pk=incident.pk).update(created_at=yesterday_at(11))
    return ev


def test_daily_report(world, analyst):
    seed(world, analyst)
    report = reports.do_request_report(kind="daily", acting_user=analyst, run_now=True)
    assert report.status == "done", report.error
    day = timezone.localdate() - datetime.timedelta(days=1)
    assert (report.period_start, report.period_end) == (day, day)
    assert report.title == f"舆情日报（{day:%Y年%m月%d日}）"
    text, pictures = read(report)
    assert pictures == 2  # sentiment mix and volume trend
    assert "共监测到相关信息 3 条，其中正面 1 条（33%），中性 0 条（0%），负面 2 条（67%）" in text
    assert "窗口服务投诉处置 | 橙色 | 宣传科 | 研判" in text
    assert "某区窗口服务投诉事件 | 2 |" in text
    assert "本地日报 | 2 | 67%" in text
    assert "图1　情感分布" in text and "测试机关" in text


def test_weekly_report_covers_last_week(world, analyst):
    seed(world, analyst)
    report = reports.do_request_report(kind="weekly", acting_user=analyst, run_now=True)
    assert report.period_start.weekday() == 0 and report.period_end - report.period_start == datetime.timedelta(days=6)
    assert report.period_end < timezone.localdate()
    text, pictures = read(report)
    assert pictures == 2 and "舆情周报" in text and "处置情况" in text


def test_special_report(world, analyst):
    ev = seed(world, analyst)
    report = reports.do_request_report(kind="special", event=ev, acting_user=analyst, run_now=True)
    assert report.status == "done", report.error
    text, pictures = read(report)
    assert report.title == "舆情专报：某区窗口服务投诉事件"
    assert pictures == 2
    for part in ("传播时间线", "转载链", "窗口服务遭投诉 | 本地日报 | 1", "窗口服务投诉处置 | 橙色 | 宣传科 | 研判"):
        assert part in text
    with pytest.raises(ValidationError, match="专报须选择舆情事件"):
        reports.do_request_report(kind="special", acting_user=analyst)


def test_only_analysts_generate(world):
    with pytest.raises(PermissionDenied):
        reports.do_request_report(kind="daily", acting_user=world.leader_a)
    assert AuditEntry.objects.filter(action="denied", actor=world.leader_a).exists()


def test_daily_job_once(world, analyst):
    from opinion.jobs_incidents import daily_report

    seed(world, analyst)
    assert daily_report.call()["status"] == "done"
    assert daily_report.call()["status"] == "exists"
    assert OpinionReport.objects.filter(kind="daily").count() == 1
    assert OpinionReport.objects.get().created_by.username == "system"  # made by the system


def test_pages_generate_and_download(world, analyst, login, client):
    seed(world, analyst)
    c = login(analyst)
    assert c.get("/opinion/reports/").status_code == 200
    response = c.post("/opinion/reports/generate/", {"kind": "daily"})
    assert response.status_code == 302
    report = OpinionReport.objects.get()
    assert report.status == "pending"  # the worker makes it once the request commits
    reports.generate(report.pk)
    viewer = login(world.leader_a, client.__class__())  # opinion.view, not manage
    download = viewer.get(f"/opinion/reports/{report.pk}/download/")
    assert download.status_code == 200
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    text, _ = text_of(download.content)
    assert "窗口服务投诉处置" in text
    assert viewer.post("/opinion/reports/generate/", {"kind": "daily"}).status_code == 403
    assert login(world.staff_b, client.__class__()).get(f"/opinion/reports/{report.pk}/download/").status_code == 403


def test_report_generated_by_a_real_worker(world, analyst, transactional_db, tmp_path):
    from core.testing import running_worker, wait_until

    report = reports.do_request_report(kind="daily", acting_user=analyst)
    with running_worker(extra_env={"YISHI_MEDIA_ROOT": str(tmp_path)}):
        wait_until(lambda: OpinionReport.objects.filter(pk=report.pk).exclude(status="pending").exists(), timeout=60)
    report.refresh_from_db()
    assert report.status == "done", report.error
    assert read(report)[1] == 2


def test_failed_generation_is_recorded(world, analyst):
    ev = f.event()
    report = OpinionReport.objects.create(kind="special", period_start=timezone.localdate(),
                                          period_end=timezone.localdate(), title="坏专报", event=None)
    assert reports.generate(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == "failed" and "专报须指定舆情事件" in report.error
    assert ev.pk
