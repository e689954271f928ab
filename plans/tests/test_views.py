"""The plan pages: list, import (upload/paste → preview → htmx edits → confirm), revisions, access."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditAction, AuditEntry
from core.roles import Perm, Role
from ledger.choices import TaskStatus
from ledger.models import Task
from org.choices import UnitKind
from org.models import Unit
from plans import actions
from plans.choices import ImportStatus
from plans.models import Obligation, Plan, PlanImport

pytestmark = pytest.mark.django_db

DEMO_PLAN = Path(__file__).resolve().parents[1] / "fixtures" / "demo_plan.txt"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def importer_head(organ, monkeypatch):
    """A unit head who may import (as if their role carried the import permission): change scope = 宣传科."""
    from core import roles

    monkeypatch.setitem(roles.ROLE_PERMISSIONS, Role.UNIT_HEAD,
                        roles.ROLE_PERMISSIONS[Role.UNIT_HEAD] | {Perm.ORG_MANAGE})
    return organ.head_a


def _upload(name="要点.txt", content=None):
    content = content if content is not None else DEMO_PLAN.read_bytes()
    return SimpleUploadedFile(name, content, content_type="text/plain")


def _start(client, organ, **extra):
    post = {"unit": organ.root.pk, "file": _upload(), **extra}
    response = client.post("/plans/import/", post)
    assert response.status_code == 302, response.content.decode()[:2000]
    return PlanImport.objects.latest("pk"), response


def _obligations(draft):
    return [(i["number"], n, ob) for s in draft.data["sections"] for i in s["items"]
            for n, ob in enumerate(i["obligations"], start=1)]


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- list and access ---------------------------------------------------------------------------------------


def test_list_shows_plans_and_import_button_to_importers(organ, login):
    draft = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    plan = actions.confirm_import(draft, acting_user=organ.admin).plan
    client = login(organ.admin)
    page = client.get("/plans/").content.decode()
    assert 'id="plan-import"' in page and plan.title in page and f'data-plan="{plan.pk}"' in page
    assert client.get(f"/plans/?year={plan.year}").content.decode().count("data-plan=") == 1
    assert client.get(f"/plans/?year={plan.year + 1}").content.decode().count("data-plan=") == 0
    partial = client.get(f"/plans/?year={plan.year}", **HTMX).content.decode()
    assert partial.startswith('<div id="plan-table">')


def test_staff_cannot_see_or_import(organ, login, client):
    draft = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    open_draft = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                      filename="要点2.txt")
    plan = actions.confirm_import(draft, acting_user=organ.admin).plan
    login(organ.staff_a)
    page = client.get("/plans/").content.decode()
    assert 'id="plan-import"' not in page and plan.title not in page
    assert client.get(f"/plans/{plan.pk}/").status_code == 404
    assert client.get("/plans/import/").status_code == 403
    response = client.post("/plans/import/", {"unit": organ.unit_a.pk, "file": _upload()})
    assert response.status_code == 403 and "仅系统管理员" in response.content.decode()
    assert client.get(f"/plans/import/{open_draft.pk}/").status_code == 404
    assert client.post(f"/plans/import/{open_draft.pk}/confirm/", {"version": 1}).status_code == 404
    assert PlanImport.objects.count() == 2 and Plan.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=organ.staff_a).exists()


def test_leader_with_root_scope_sees_plan_but_cannot_import(organ, login, client):
    draft = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    plan = actions.confirm_import(draft, acting_user=organ.admin).plan
    login(organ.first)  # 第一责任人 of the root: sees everything, imports nothing
    detail = client.get(f"/plans/{plan.pk}/")
    assert detail.status_code == 200 and 'id="plan-revise"' not in detail.content.decode()
    assert 'id="plan-import"' not in client.get("/plans/").content.decode()
    assert client.get(f"/plans/import/?base={plan.pk}").status_code == 403


# --- upload → preview → edit → confirm --------------------------------------------------------------------


def test_upload_preview_edit_confirm(organ, login, client):
    login(organ.admin)
    form = client.get("/plans/import/")
    assert form.status_code == 200 and 'name="file"' in form.content.decode()
    assert form.context["form"].initial["unit"] == organ.root.pk  # the organ root by default
    draft, response = _start(client, organ)
    assert response["Location"] == f"/plans/import/{draft.pk}/"
    preview = client.get(response["Location"])
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "市政府机关2026年意识形态工作要点" in page and "一、强化理论武装" in page
    assert page.count('data-item="') == 12
    assert "责任主体待确认" in page and "data-flagged" in page  # 应急演练: no actor → coordinating office
    assert "党组书记" in page  # the unmatched actor is named
    assert 'id="draft-version"' in page and f'value="{draft.version}"' in page
    assert "预计生成任务" in page and "期 × 1 个单位" in page

    # Edit an obligation in place (htmx): its form lists the units of the change scope.
    number, idx, drill = next((n, i, ob) for n, i, ob in _obligations(draft) if "应急演练" in ob["activity"])
    url = f"/plans/import/{draft.pk}/items/{number}/obligations/{idx}/"
    edit_form = client.get(url, **HTMX).content.decode()
    assert edit_form.startswith(f'<div class="card mb-3" id="item-{number}"') or f'id="item-{number}"' in edit_form
    assert f'name="lead" value="{organ.unit_b.pk}"' in edit_form and "obligation-form" in edit_form
    saved = client.post(url, {"version": draft.version, "frequency": "semiannual", "times": 1,
                              "activity": "开展应急演练", "lead": [organ.unit_a.pk],
                              "assist": [organ.unit_b.pk]}, **HTMX)
    assert saved.status_code == 200
    body = saved.content.decode()
    assert 'id="draft-version" value="2" hx-swap-oob="true"' in body and "innerHTML:#draft-summary" in body
    assert "宣传科" in body and "半年" in body
    draft.refresh_from_db()
    ob = _obligations(draft)[[i for i, (n, j, _) in enumerate(_obligations(draft)) if (n, j) == (number, idx)][0]][2]
    assert ob["frequency"] == "semiannual" and not ob["unresolved"]
    assert ob["assignments"] == [{"unit": organ.unit_a.pk, "role": "lead"}, {"unit": organ.unit_b.pk, "role": "assist"}]

    # Without htmx the same URL is a page of its own.
    page_of_its_own = client.get(url)
    assert page_of_its_own.status_code == 200 and "返回预览" in page_of_its_own.content.decode()

    # Fix an item's title; add an obligation; delete one.
    title = client.post(f"/plans/import/{draft.pk}/items/12/title/", {"version": 2, "title": "加强网评员队伍管理"},
                        **HTMX)
    assert title.status_code == 200 and "12. 加强网评员队伍管理" in title.content.decode()
    added = client.post(f"/plans/import/{draft.pk}/items/3/obligations/new/", {
        "version": 3, "frequency": "monthly", "times": 1, "activity": "报送青年学习情况",
        "quote": "每月报送1次青年学习情况", "lead": [organ.office.pk],
    }, **HTMX)
    assert added.status_code == 200 and "报送青年学习情况" in added.content.decode()
    before = len(_obligations(PlanImport.objects.get(pk=draft.pk)))
    deleted = client.post(f"/plans/import/{draft.pk}/items/1/obligations/1/delete/", {"version": 4}, **HTMX)
    assert deleted.status_code == 200
    draft.refresh_from_db()
    assert draft.version == 5 and len(_obligations(draft)) == before - 1
    assert all(ob["activity"] != "开展集中学习研讨" for _, _, ob in _obligations(draft))

    # Confirm → the plan page, with a summary of what was generated.
    confirmed = client.post(f"/plans/import/{draft.pk}/confirm/", {"version": 5}, follow=True)
    plan = Plan.objects.get()
    assert confirmed.redirect_chain[-1][0] == f"/plans/{plan.pk}/"
    message = " ".join(_messages(confirmed))
    assert f"已导入《{plan.title}》：生成任务 {Task.objects.filter(plan=plan).count()} 项" in message
    assert "值守事项 1 项" in message
    page = confirmed.content.decode()
    item12 = plan.items.get(number=12)
    assert item12.title == "加强网评员队伍管理"
    assert f'href="/ledger/?item={item12.pk}"' in page and 'id="plan-revise"' in page
    assert Obligation.objects.get(plan=plan, activity="报送青年学习情况").assignments.get().unit == organ.office
    assert Task.objects.filter(obligation__activity="开展应急演练", unit=organ.unit_a).count() <= 2
    assert PlanImport.objects.get(pk=draft.pk).status == ImportStatus.CONFIRMED
    # The preview of a confirmed draft leads to its plan.
    assert client.get(f"/plans/import/{draft.pk}/")["Location"] == f"/plans/{plan.pk}/"


def test_paste_text(organ, login, client):
    login(organ.admin)
    response = client.post("/plans/import/", {"unit": organ.root.pk, "text": DEMO_PLAN.read_text(encoding="utf-8")})
    assert response.status_code == 302
    draft = PlanImport.objects.get()
    assert draft.source_name == "粘贴的文本" and len(draft.data["sections"]) == 4


@pytest.mark.parametrize(("name", "content", "message"), [
    ("空.txt", b"", "文件为空"),
    ("二进制.txt", b"\x00\x01\x02\x03" * 100, "不是文本"),
    ("要点.pdf", b"%PDF-1.4 ...", "PDF文件无法直接读取"),
    ("要点.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "另存为.docx"),
    ("要点.xlsx", b"PK\x03\x04", "不支持的文件类型"),
    ("大.txt", "一、".encode() + b"x" * (5 * 1024 * 1024 + 10), "文件过大"),
    ("通知.txt", "会议通知\n请各单位于周五参加会议。\n".encode(), "没有找到编号条目"),
    ("坏.docx", b"PK\x03\x04 not really a zip", "文件"),
])
def test_bad_files_are_refused_in_chinese(organ, login, client, name, content, message):
    login(organ.admin)
    response = client.post("/plans/import/", {"unit": organ.root.pk, "file": _upload(name, content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "invalid-feedback" in page
    assert PlanImport.objects.count() == 0 and Plan.objects.count() == 0


def test_docx_upload(organ, login, client):
    import docx

    document = docx.Document()
    for line in DEMO_PLAN.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    login(organ.admin)
    response = client.post("/plans/import/", {"unit": organ.root.pk, "file": _upload("要点.docx", buffer.getvalue())})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert len(PlanImport.objects.get().data["sections"]) == 4


def test_file_and_text_together_or_neither(organ, login, client):
    login(organ.admin)
    both = client.post("/plans/import/", {"unit": organ.root.pk, "file": _upload(), "text": "1.每月学习一次。"})
    assert "二者选其一" in both.content.decode()
    neither = client.post("/plans/import/", {"unit": organ.root.pk})
    assert "请选择要上传的文件" in neither.content.decode()
    assert PlanImport.objects.count() == 0


# --- edits: conflicts, bad input -------------------------------------------------------------------------


def test_stale_version_is_a_conflict(organ, login, client):
    login(organ.admin)
    draft, _ = _start(client, organ)
    url = f"/plans/import/{draft.pk}/items/1/title/"
    assert client.post(url, {"version": 1, "title": "第一次修改"}, **HTMX).status_code == 200
    stale = client.post(url, {"version": 1, "title": "基于旧版本的修改"}, **HTMX)
    assert stale.status_code == 409
    assert "该导入已被他人修改" in stale.content.decode() and stale["HX-Retarget"] == "#draft-alerts"
    draft.refresh_from_db()
    assert draft.version == 2 and draft.data["sections"][0]["items"][0]["title"] == "第一次修改"
    # Without htmx: a message and back to the preview.
    plain = client.post(url, {"form_version": 1, "title": "又一次"}, follow=True)
    assert "该导入已被他人修改" in " ".join(_messages(plain))
    # Confirming a stale version shows the current draft and writes nothing.
    confirm = client.post(f"/plans/import/{draft.pk}/confirm/", {"version": 1})
    assert confirm.status_code == 200 and "该导入已被他人修改" in confirm.content.decode()
    assert Plan.objects.count() == 0 and 'value="2"' in confirm.content.decode()


def test_invalid_draft_shows_every_problem_and_keeps_the_draft(organ, login, client):
    login(organ.admin)
    draft, _ = _start(client, organ)
    data = draft.data
    data["sections"][0]["items"][0]["obligations"][0]["assignments"] = []
    data["sections"][0]["items"][1]["title"] = ""
    draft = actions.update_draft(draft, data, acting_user=organ.admin, expected_version=draft.version)
    preview = client.get(f"/plans/import/{draft.pk}/").content.decode()
    assert 'id="draft-problems"' in preview  # shown before confirming
    response = client.post(f"/plans/import/{draft.pk}/confirm/", {"version": draft.version})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="confirm-errors"' in page
    assert "第 1 项第 1 个工作事项：请至少指定一个牵头（责任）单位" in page and "第 2 项：标题不能为空" in page
    assert Plan.objects.count() == 0 and Task.objects.count() == 0
    assert PlanImport.objects.get(pk=draft.pk).status == ImportStatus.OPEN


def test_obligation_form_refuses_bad_input(organ, login, client):
    login(organ.admin)
    draft, _ = _start(client, organ)
    url = f"/plans/import/{draft.pk}/items/1/obligations/1/"
    inactive = Unit.objects.create(name="已撤销科", kind=UnitKind.SECTION, parent=organ.root, is_active=False)
    for lead in (["999999"], [str(2**70)], ["abc"], [str(inactive.pk)]):
        response = client.post(url, {"version": 1, "frequency": "monthly", "activity": "x", "lead": lead}, **HTMX)
        assert response.status_code == 200 and "单位不存在或不在您的管理范围内" in response.content.decode()
    no_lead = client.post(url, {"version": 1, "frequency": "monthly", "activity": "x"}, **HTMX).content.decode()
    assert "请至少选择一个牵头（责任）单位" in no_lead
    both = client.post(url, {"version": 1, "frequency": "monthly", "activity": "x", "lead": [organ.office.pk],
                             "assist": [organ.office.pk]}, **HTMX).content.decode()
    assert "已是牵头单位，不能同时配合" in both
    bad = client.post(url, {"version": 1, "frequency": "hourly", "times": 0, "activity": "",
                            "lead": [organ.office.pk]}, **HTMX).content.decode()
    assert bad.count("invalid-feedback") >= 3
    assert client.get(f"/plans/import/{draft.pk}/items/99/obligations/1/", **HTMX).status_code == 404
    assert client.get(f"/plans/import/{draft.pk}/items/1/obligations/99/", **HTMX).status_code == 404
    assert PlanImport.objects.get(pk=draft.pk).version == 1  # nothing was saved


def test_importer_cannot_map_units_outside_scope(organ, importer_head, login, client):
    login(importer_head)
    form = client.get("/plans/import/")
    assert list(form.context["form"].fields["unit"].queryset) == [organ.unit_a, organ.unit_a_child]
    forged = client.post("/plans/import/", {"unit": organ.root.pk, "file": _upload()})
    assert "单位不存在或不在您的管理范围内" in forged.content.decode() and PlanImport.objects.count() == 0
    draft, _ = _start(client, organ, unit=organ.unit_a.pk)
    url = f"/plans/import/{draft.pk}/items/1/obligations/1/"
    edit = client.get(url, **HTMX).content.decode()
    assert f'value="{organ.office.pk}"' not in edit and f'name="lead" value="{organ.unit_a.pk}"' in edit
    response = client.post(url, {"version": 1, "frequency": "monthly", "activity": "学习",
                                 "lead": [organ.office.pk]}, **HTMX)
    assert response.status_code == 200 and "单位不存在或不在您的管理范围内" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, actor=importer_head).exists()
    # The parser's suggestions outside the scope block the confirmation, with a clear message.
    confirm = client.post(f"/plans/import/{draft.pk}/confirm/", {"version": 1}).content.decode()
    assert "单位不存在或不在您的管理范围内" in confirm and Plan.objects.count() == 0


def test_cancel(organ, login, client):
    login(organ.admin)
    draft, _ = _start(client, organ)
    response = client.post(f"/plans/import/{draft.pk}/cancel/", follow=True)
    assert "没有写入任何数据" in " ".join(_messages(response))
    assert PlanImport.objects.get(pk=draft.pk).status == ImportStatus.CANCELLED
    assert client.post(f"/plans/import/{draft.pk}/items/1/title/", {"version": 1, "title": "x"},
                       **HTMX).status_code == 409
    assert client.get(f"/plans/import/{draft.pk}/")["Location"] == "/plans/"


def test_meta_edit(organ, login, client):
    login(organ.admin)
    draft, _ = _start(client, organ)
    response = client.post(f"/plans/import/{draft.pk}/meta/", {"version": 1, "title": "新标题", "organization": "",
                                                              "year": 2027}, **HTMX)
    assert response["HX-Redirect"] == f"/plans/import/{draft.pk}/"
    draft.refresh_from_db()
    assert draft.data["title"] == "新标题" and draft.data["year"] == 2027 and draft.version == 2
    bad = client.post(f"/plans/import/{draft.pk}/meta/", {"version": 2, "title": "", "year": 1800})
    assert bad.status_code == 200 and 'id="meta-card"' in bad.content.decode()
    assert PlanImport.objects.get(pk=draft.pk).version == 2


# --- revisions --------------------------------------------------------------------------------------------


def test_revision_shows_diff_and_updates_tasks(organ, login, client):
    first = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    plan = actions.confirm_import(first, acting_user=organ.admin,
                                  from_date=datetime.date(first.data["year"], 1, 1)).plan
    started = Task.objects.filter(obligation__activity="开展应急演练").first()
    Task.objects.filter(pk=started.pk).update(status=TaskStatus.IN_PROGRESS, done_count=1)
    text = DEMO_PLAN.read_text(encoding="utf-8")
    text = text.replace("修订完善意识形态突发事件应急预案，每年至少开展1次应急演练。", "修订完善意识形态突发事件应急预案。")
    text = text.replace("12.加强网评员队伍建设。", "12.加强网评员队伍建设管理。")
    text += "13.加强保密教育。各科室每季度开展1次保密教育。\n"
    login(organ.admin)
    assert client.get(f"/plans/import/?base={plan.pk}").context["form"].initial["base_plan"] == plan.pk
    response = client.post("/plans/import/", {"unit": organ.unit_b.pk, "base_plan": plan.pk,
                                              "file": _upload("v2.txt", text.encode())})
    draft = PlanImport.objects.get(status=ImportStatus.OPEN)
    assert response.status_code == 302 and draft.base_plan == plan and draft.unit == organ.root
    page = client.get(f"/plans/import/{draft.pk}/").content.decode()
    assert "修订对比" in page and "加强网评员队伍建设管理" in page and "删除" in page
    assert "13. 加强保密教育" in page
    diff = client.get(f"/plans/import/{draft.pk}/").context["diff"]
    assert diff.tasks_kept == 1 and diff.tasks_created > 0 and diff.tasks_updated > 0
    assert any("应急演练" in q for q in diff.obligations_removed)
    confirmed = client.post(f"/plans/import/{draft.pk}/confirm/", {"version": draft.version}, follow=True)
    message = " ".join(_messages(confirmed))
    assert f"已更新《{plan.title}》（第 2 版）" in message and "已开始的 1 项任务保留" in message
    assert Task.objects.filter(pk=started.pk).exists()
    assert not Task.objects.filter(obligation__isnull=False, title__contains="应急演练",
                                   status=TaskStatus.NOT_STARTED).exists()


def test_revision_mapping_change_moves_unstarted_tasks(organ, login, client):
    first = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    year = first.data["year"]
    plan = actions.confirm_import(first, acting_user=organ.admin, from_date=datetime.date(year, 1, 1)).plan
    ob = Obligation.objects.get(plan=plan, activity="开展集中学习研讨")
    tasks = Task.objects.filter(obligation=ob).order_by("due_date")
    Task.objects.filter(pk=tasks[0].pk).update(status=TaskStatus.DONE, done_count=1)
    revision = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                    filename="v2.txt", base_plan=plan)
    data = revision.data
    data["sections"][0]["items"][0]["obligations"][0]["assignments"] = [{"unit": organ.office.pk, "role": "lead"}]
    revision = actions.update_draft(revision, data, acting_user=organ.admin, expected_version=1)
    diff = actions.diff_plan(plan, revision.data)
    assert diff.obligations_reassigned and diff.tasks_deleted == 11 and diff.tasks_kept == 1
    actions.confirm_import(revision, acting_user=organ.admin, from_date=datetime.date(year, 1, 1))
    rows = [(t.unit_id, t.period_label) for t in Task.objects.filter(obligation=ob)]
    assert [r for r in rows if r[0] == organ.party.pk] == [(organ.party.pk, tasks[0].period_label)]  # done: kept
    assert sum(1 for unit, _ in rows if unit == organ.office.pk) == 12  # the new lead unit's own tasks


def test_revision_regenerates_without_duplicating_started_periods(organ):
    first = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    year = first.data["year"]
    plan = actions.confirm_import(first, acting_user=organ.admin, from_date=datetime.date(year, 1, 1)).plan
    checks = Task.objects.filter(obligation__activity="开展意识形态风险日常排查", unit=organ.unit_a).order_by("due_date")
    january = checks.first()
    Task.objects.filter(pk=january.pk).update(status=TaskStatus.IN_PROGRESS, done_count=1)
    text = DEMO_PLAN.read_text(encoding="utf-8").replace("各科室每月开展1次意识形态风险日常排查",
                                                          "各科室每月开展2次意识形态风险日常排查")
    revision = actions.start_import(acting_user=organ.admin, unit=organ.root, data=text.encode(),
                                    filename="v2.txt", base_plan=plan)
    assert actions.diff_plan(plan, revision.data).obligations_changed
    actions.confirm_import(revision, acting_user=organ.admin, from_date=datetime.date(year, 1, 1))
    labels = [t.period_label for t in checks]
    assert len(labels) == 12 and len(set(labels)) == 12  # January kept, not made twice
    assert Task.objects.get(pk=january.pk).status == TaskStatus.IN_PROGRESS
    assert all(t.target_count == 2 for t in checks.exclude(pk=january.pk))


# --- the plan page ----------------------------------------------------------------------------------------


def _plan_with_items(admin, root, count):
    lines = [f"{root.name}{timezone.localdate().year}年意识形态工作要点", "一、理论学习"]
    lines += [f"{n}.第{n}项工作。各科室每月开展1次第{n}项学习，办公室每季度开展1次第{n}项检查。" for n in range(1, count + 1)]
    draft = actions.start_import(acting_user=admin, unit=root, text="\n".join(lines))
    return actions.confirm_import(draft, acting_user=admin).plan


def test_plan_detail_queries_do_not_grow_with_items(organ, login, client):
    small = _plan_with_items(organ.admin, organ.root, 3)
    large = _plan_with_items(organ.admin, organ.root, 12)
    login(organ.admin)
    client.get(f"/plans/{small.pk}/")  # warm caches (content types, calendar)
    with CaptureQueriesContext(connection) as few:
        response = client.get(f"/plans/{small.pk}/")
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/plans/{large.pk}/").content.decode()
    assert len(few) == len(many), [q["sql"] for q in many.captured_queries]
    assert page.count("data-ledger-link") == 12
    item = large.items.get(number=5)
    tasks = Task.objects.filter(item=item).count()
    assert re.search(rf'href="/ledger/\?item={item.pk}" data-ledger-link>任务台账（{tasks}）', page)
    with CaptureQueriesContext(connection) as listing:
        client.get("/plans/")
    assert len(listing) < 20


def test_plan_detail_highlights_flagged_and_warnings(organ, login, client):
    draft = actions.start_import(acting_user=organ.admin, unit=organ.root, data=DEMO_PLAN.read_bytes(),
                                 filename="要点.txt")
    data = draft.data
    data["warnings"] = ["测试提示：第3条只有标题"]
    draft = actions.update_draft(draft, data, acting_user=organ.admin, expected_version=1)
    plan = actions.confirm_import(draft, acting_user=organ.admin).plan
    login(organ.admin)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    flagged = Obligation.objects.filter(plan=plan, unresolved=True).count()
    assert flagged and page.count("data-flagged") == flagged
    assert "测试提示：第3条只有标题" in page and 'id="plan-warnings"' in page
    assert client.get("/plans/999999/").status_code == 404
