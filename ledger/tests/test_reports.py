"""Exports: the .xlsx ledger read back with openpyxl, the .ics feed parsed line by line (RFC 5545),
the plan progress report opened with python-docx; every export is audited."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
import pytest
from django.utils import timezone
from docx import Document

from core.models import AuditAction, AuditEntry
from ledger import actions
from ledger.choices import SourceKind, TaskStatus
from ledger.models import Task
from ledger.reports import build_ics, ics_escape, ics_fold, ics_token, user_for_ics_token
from org.models import Person

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def make(world, unit=None, title="任务", due=None, owner=None, status=None, **extra) -> Task:
    task = actions.create_task(unit=unit or world.unit_a, title=title, due_date=due or today() + datetime.timedelta(days=30),
                               acting_user=world.admin, owner=owner, **extra)
    if status:
        Task.objects.filter(pk=task.pk).update(status=status)
        task.refresh_from_db()
    return task


# --- .xlsx ------------------------------------------------------------------------------------------


def test_xlsx_ledger_has_the_office_layout_and_respects_filters(world, login):
    staff = Person.objects.get(user=world.staff_a)
    late = make(world, title="=HYPERLINK(\"http://x\")逾期排查", due=today() - datetime.timedelta(days=4), owner=staff,
                origin="2026年工作要点第5项")
    Task.objects.filter(pk=late.pk).update(done_count=1, target_count=2, latest_progress="已完成第一次", status="in_progress")
    make(world, title="正常学习", due=today() + datetime.timedelta(days=40))
    make(world, unit=world.unit_b, title="信息科任务")
    c = login(world.head_a)

    response = c.get("/ledger/export.xlsx?scope=all")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == "意识形态工作任务台账"
    assert "范围：全部任务" in values[1][0]
    assert values[2] == ["序号", "任务", "责任单位", "责任人", "完成时限", "进展", "状态", "出处", "灯色"]
    data = values[3:]
    assert len(data) == 2  # 信息科's task is out of scope
    first = data[0]
    assert first[0] == 1 and first[1].startswith("=HYPERLINK")  # text, never a formula
    assert ws.cell(row=4, column=2).data_type == "s"
    assert first[2] == "宣传科" and first[3] == "宣传科员"
    assert first[4].date() == late.due_date
    assert first[5] == "1/2；已完成第一次"
    assert first[6] == "已逾期（进行中）"
    assert first[7] == "2026年工作要点第5项"
    assert first[8] == "红灯·逾期"
    assert data[1][8] == "蓝灯·正常" and data[1][6] == "未开始"

    response = c.get("/ledger/export.xlsx?scope=all&status=overdue")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == [late.title]
    assert "状态：已逾期" in ws.cell(row=2, column=1).value
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="ledger.task").order_by("-seq").first()
    assert entry.actor == world.head_a and entry.changes["rows"] == 1 and entry.changes["scope"] == "all"


# --- .ics -------------------------------------------------------------------------------------------


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    physical = text.split("\r\n")[:-1]
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    logical: list[str] = []
    for line in physical:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_ics_folding_and_escaping():
    line = "SUMMARY:" + "意识形态" * 30
    folded = ics_fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts) and all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert ics_escape("a,b;c\\d\ne\r\nf\x07") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_ics_feed_lists_my_open_tasks_with_alarms(world, client):
    staff = Person.objects.get(user=world.staff_a)
    mine = make(world, title="学习,研讨;总结\\第一季度" + "很长的标题" * 10, owner=staff, due=datetime.date(2026, 9, 30),
                origin="工作要点第1项")
    unassigned = make(world, title="本科室未分配任务", due=datetime.date(2026, 12, 31))
    make(world, title="已完成的任务", owner=staff, status=TaskStatus.DONE)
    make(world, title="同事的任务", owner=Person.objects.get(user=world.head_a))
    make(world, unit=world.unit_b, title="信息科任务")

    token = ics_token(world.staff_a)
    response = client.get(f"/ledger/ics/{token}.ics")  # no login: calendar apps have no cookies
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfold(response.content)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    depth = 0
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif line == "BEGIN:VALARM":
            depth += 1
        elif line == "END:VALARM":
            depth -= 1
        elif current is not None:
            name, _, value = line.partition(":")
            current.setdefault(("ALARM-" if depth else "") + name, []).append(value)
    assert len(events) == 2
    by_uid = {e["UID"][0]: e for e in events}
    event = by_uid[f"ledger-task-{mine.pk}@127.0.0.1"]
    assert event["DTSTART;VALUE=DATE"] == ["20260930"] and event["DTEND;VALUE=DATE"] == ["20261001"]
    assert unescape(event["SUMMARY"][0]) == mine.title
    assert "\\," in event["SUMMARY"][0] and "\\;" in event["SUMMARY"][0] and "\\\\" in event["SUMMARY"][0]
    description = unescape(event["DESCRIPTION"][0])
    assert "责任单位：宣传科" in description and "出处：工作要点第1项" in description
    assert event["URL"][0].endswith(f"/ledger/{mine.pk}/")
    assert sorted(event["ALARM-TRIGGER"]) == ["-P2DT15H", "-PT15H"]
    assert event["ALARM-ACTION"] == ["DISPLAY", "DISPLAY"]
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"][0])
    assert f"ledger-task-{unassigned.pk}@127.0.0.1" in by_uid
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=world.staff_a, object_repr="任务日历订阅").count() == 1


def test_ics_token_is_per_user_and_unguessable(world, client):
    token = ics_token(world.staff_a)
    assert user_for_ics_token(token) == world.staff_a
    assert ics_token(world.staff_b) != token
    user_id, digest = token.split("-")
    assert client.get(f"/ledger/ics/{world.staff_b.pk}-{digest}.ics").status_code == 404
    assert client.get(f"/ledger/ics/{user_id}-{'0' * 40}.ics").status_code == 404
    # Changing the password replaces the address.
    world.staff_a.set_password("Another-Secret-2026!")
    world.staff_a.save()
    assert client.get(f"/ledger/ics/{token}.ics").status_code == 404
    assert client.get(f"/ledger/ics/{ics_token(world.staff_a)}.ics").status_code == 200


def test_build_ics_of_no_tasks_is_a_valid_empty_calendar():
    lines = unfold(build_ics([], calendar_name="空,日历"))
    assert lines[0] == "BEGIN:VCALENDAR" and "X-WR-CALNAME:空\\,日历" in lines
    assert "BEGIN:VEVENT" not in lines


# --- .docx ------------------------------------------------------------------------------------------


@pytest.fixture
def plan(world):
    from plans.models import Item, Plan, Section

    plan = Plan.objects.create(unit=world.root, title="测试机关2026年意识形态工作要点", organization="中共测试机关党组",
                               year=2026)
    s1 = Section.objects.create(plan=plan, number=1, title="强化理论武装")
    s2 = Section.objects.create(plan=plan, number=2, title="压实主体责任")
    Section.objects.create(plan=plan, number=3, title="巩固阵地建设")
    i1 = Item.objects.create(plan=plan, section=s1, number=1, title="抓实中心组学习")
    i2 = Item.objects.create(plan=plan, section=s2, number=4, title="落实责任制")
    t = today()
    rows = [
        (world.unit_a, s1, i1, "中心组学习（1月）", t - datetime.timedelta(days=40), TaskStatus.DONE, -45),
        (world.unit_a, s1, i1, "中心组学习（2月）", t - datetime.timedelta(days=10), TaskStatus.DONE, +3),
        (world.unit_b, s2, i2, "责任清单", t - datetime.timedelta(days=30), TaskStatus.IN_PROGRESS, None),
        (world.unit_b, s2, i2, "年底总结", t + datetime.timedelta(days=30), TaskStatus.NOT_STARTED, None),
    ]
    for unit, section, item, title, due, status, completed in rows:
        task = make(world, unit=unit, title=title, due=due)
        Task.objects.filter(pk=task.pk).update(
            plan=plan, section=section, item=item, status=status, source_kind=SourceKind.PLAN,
            completed_at=(timezone.now() + datetime.timedelta(days=completed)) if completed is not None else None,
        )
    return plan


def test_plan_report_docx(world, login, plan):
    c = login(world.first)
    response = c.get(f"/ledger/report/{plan.pk}.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    doc = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in doc.paragraphs if p.text.strip()]
    assert paragraphs[0].replace("\n", "") == "测试机关2026年意识形态工作要点落实情况报告"
    assert doc.core_properties.title == "测试机关2026年意识形态工作要点落实情况报告"
    assert "一、总体情况" in paragraphs
    overall = next(p for p in paragraphs if p.startswith("截至"))
    # 4 tasks; due: 2 done + 1 past due = 3; done 2 → 66.7%; on time 1 → 33.3%; overdue 1.
    assert "共分解任务4项" in overall and "应完成（已到完成时限或已提前完成）3项" in overall and "已完成2项，完成率66.7%" in overall
    assert "按时完成1项，按时完成率33.3%" in overall and "逾期未完成1项" in overall
    section_table = doc.tables[0]
    cells = [[cell.text for cell in row.cells] for row in section_table.rows]
    assert cells[0] == ["板块", "任务数", "应完成", "已完成", "完成率", "按时完成率", "逾期"]
    assert cells[1][:5] == ["1. 强化理论武装", "2", "2", "2", "100%"] and cells[1][5] == "50%"
    assert cells[2][0] == "2. 压实主体责任" and cells[2][6] == "1"
    assert cells[3][0] == "3. 巩固阵地建设" and cells[3][1] == "0"  # a section without tasks is still listed
    assert cells[-1][0] == "合计" and cells[-1][1] == "4"
    late = [[cell.text for cell in row.cells] for row in doc.tables[1].rows]
    assert late[1][1] == "责任清单" and late[1][2] == "信息科"
    assert "中共测试机关党组" in paragraphs
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="plans.plan", actor=world.first).exists()


def test_plan_report_is_scoped(world, login, plan):
    c = login(world.staff_a)  # 宣传科 sees only its own tasks of the plan
    response = c.get(f"/ledger/report/{plan.pk}.docx")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "共分解任务2项" in text and "权限范围" in text
    assert "责任清单" not in "\n".join(cell.text for t in doc.tables for row in t.rows for cell in row.cells)
    c.logout()
    from plans.models import Plan

    other = Plan.objects.create(unit=world.unit_b, title="信息科自己的要点", year=2026)
    assert login(world.staff_a).get(f"/ledger/report/{other.pk}.docx").status_code == 404
    assert c.get("/ledger/report/999999.docx").status_code == 404
