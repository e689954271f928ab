"""Risk pages: scoping (404 / 403, logged), forms with Chinese errors, filters, heat map, export,
the self-check form, settings, and the optimistic lock on the page."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditAction, AuditEntry
from org.models import Person
from risks import actions
from risks.choices import RiskStatus
from risks.models import Risk, SelfCheck
from risks.tests.conftest import make_risk, pdf, workday

pytestmark = pytest.mark.django_db


def test_other_unit_gets_404_and_forbidden_posts_are_logged(world, domains, login):
    risk = make_risk(world, domains)
    c = login(world.staff_b, Client())
    assert c.get(f"/risks/{risk.pk}/").status_code == 404
    assert c.post(f"/risks/{risk.pk}/edit/", {"title": "x"}).status_code == 404
    assert f'data-risk="{risk.pk}"' not in c.get("/risks/").content.decode()
    c = login(world.staff_a, Client())
    assert c.get(f"/risks/{risk.pk}/").status_code == 200
    response = c.post(f"/risks/{risk.pk}/step/", {"step-title": "x", "step-due_date": workday().isoformat()})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, object_id=str(risk.pk)).exists()


def test_create_form_refuses_past_deadline_in_chinese(world, domains, login):
    c = login(world.head_a, Client())
    data = {"title": "讲座论坛未报备", "domain": domains[0].pk, "source": "inspection", "description": "未履行一会一报",
            "likelihood": 3, "impact": 4, "unit": world.unit_a.pk, "deadline": "2020-01-06"}
    response = c.post("/risks/new/", data)
    assert response.status_code == 400 and "早于今天" in response.content.decode()
    data["deadline"] = workday().isoformat()
    data["unit"] = world.unit_b.pk  # forged: not in the choice list
    assert c.post("/risks/new/", data).status_code == 400
    data["unit"] = world.unit_a.pk
    response = c.post("/risks/new/", data)
    assert response.status_code == 302
    risk = Risk.objects.get()
    assert risk.level == "significant" and risk.created_by == world.head_a


def test_register_filters_and_invalid_values(world, domains, login):
    major = make_risk(world, domains, title="重大甲")
    low = make_risk(world, domains, likelihood=1, impact=1, title="低乙")
    make_risk(world, domains, unit=world.unit_b, user=world.head_b, title="信息科风险")
    c = login(world.leader_a, Client())
    page = c.get("/risks/").content.decode()
    assert page.index(f'data-risk="{major.pk}"') < page.index(f'data-risk="{low.pk}"')  # 重大 first
    assert "信息科风险" not in page
    page = c.get("/risks/?level=low").content.decode()
    assert f'data-risk="{low.pk}"' in page and f'data-risk="{major.pk}"' not in page
    response = c.get("/risks/?level=urgent&unit=999999")
    assert response.status_code == 200
    text = response.content.decode()
    assert "风险等级“urgent”无效" in text and "单位不存在或不在您的权限范围内" in text
    partial = c.get("/risks/?level=major", HTTP_HX_REQUEST="true")
    assert partial["HX-Push-Url"] == "/risks/?level=major" and "<html" not in partial.content.decode()


def test_heatmap_counts_and_click_through(world, domains, login):
    make_risk(world, domains)
    make_risk(world, domains)
    make_risk(world, domains, likelihood=1, impact=1)
    make_risk(world, domains, unit=world.unit_b, user=world.head_b)
    response = login(world.leader_a, Client()).get("/risks/heatmap/")
    text = response.content.decode()
    assert 'data-risk-heatmap="risk-heatmap-data"' in text and "yishi/risks.js" in text and "<script>" not in text
    assert f'data-cell="{domains[1].pk}-major" href="/risks/?domain={domains[1].pk}&level=major&status=open">2<' in text
    assert '<th data-total>3</th>' in text  # 信息科's risk is outside 分管领导甲's scope


def test_export_is_scoped_and_audited(world, domains, login):
    make_risk(world, domains, title="宣传科的风险")
    make_risk(world, domains, unit=world.unit_b, user=world.head_b, title="信息科的风险")
    response = login(world.head_b, Client()).get("/risks/export.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "信息科的风险" in values and "宣传科的风险" not in values
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="risks.risk").exists()


def test_detail_loop_owner_cannot_verify_and_conflict_is_409(world, domains, login):
    owner = Person.objects.get(user=world.staff_a)
    risk = make_risk(world, domains, owner=owner)
    c = login(world.head_a, Client())
    r = c.post(f"/risks/{risk.pk}/step/", {"step-title": "整改评论区", "step-due_date": workday(5).isoformat(),
                                           "step-version": risk.version})
    assert r.status_code == 302
    risk.refresh_from_db()
    from ledger import actions as ledger_actions
    from risks.tests.conftest import evidence

    task = risk.steps.get().task
    ledger_actions.report_progress(task, text="完成", files=[evidence(world.staff_a, world.unit_a)],
                                   request_completion=True, acting_user=world.staff_a)
    ledger_actions.confirm_completion(task, acting_user=world.head_a)
    c = login(world.staff_a, Client())
    r = c.post(f"/risks/{risk.pk}/request-close/", {"close-text": "已完成", "close-version": risk.version})
    assert r.status_code == 400 and "佐证材料" in r.content.decode()
    r = c.post(f"/risks/{risk.pk}/request-close/", {"close-text": "已完成", "close-files": [pdf()],
                                                    "close-version": risk.version})
    assert r.status_code == 302
    risk.refresh_from_db()
    assert risk.status == RiskStatus.PENDING_REVIEW
    page = c.get(f"/risks/{risk.pk}/").content.decode()
    assert "不能验收自己负责的风险" in page
    assert c.post(f"/risks/{risk.pk}/verify/", {"decision": "verify"}).status_code == 403
    c = login(world.leader_a, Client())
    stale = c.post(f"/risks/{risk.pk}/verify/", {"decision": "verify", "review-version": risk.version - 1})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert c.post(f"/risks/{risk.pk}/verify/", {"decision": "verify", "review-version": risk.version}).status_code == 302
    assert Risk.objects.get(pk=risk.pk).status == RiskStatus.CLOSED


def test_self_check_page_and_progress(world, domains, login):
    actions.do_launch_campaign(kind="quarterly", title="第二季度排查", start_date=timezone.localdate(),
                               due_date=workday(5), units=[world.unit_a, world.unit_b], acting_user=world.admin)
    check = SelfCheck.objects.get(unit=world.unit_a)
    assert login(world.staff_b, Client()).get(f"/risks/checks/{check.pk}/").status_code == 404
    c = login(world.head_a, Client())
    ids = list(check.answers.order_by("order").values_list("pk", flat=True))
    post = {"version": check.version, "action": "submit", "summary": "总体平稳"}
    for pk in ids:
        post[f"a{pk}-result"] = "ok"
    post[f"a{ids[0]}-result"] = "risk"
    r = c.post(f"/risks/checks/{check.pk}/", post)
    assert r.status_code == 400 and "请说明具体情况" in r.content.decode() or "请评定" in r.content.decode()
    post.update({f"a{ids[0]}-note": "学习签到走过场", f"a{ids[0]}-likelihood": "3", f"a{ids[0]}-impact": "3"})
    assert c.post(f"/risks/checks/{check.pk}/", post).status_code == 302
    assert Risk.objects.filter(unit=world.unit_a, source="screening").count() == 1
    detail = login(world.admin, Client()).get(f"/risks/screening/{check.campaign_id}/").content.decode()
    assert 'id="missing-units">尚未提交：信息科' in detail


def test_settings_for_coordinators_only(world, domains, login):
    assert login(world.head_a, Client()).get("/risks/settings/").status_code == 403
    c = login(world.admin, Client())
    assert c.get("/risks/settings/").status_code == 200
    post = {"what": "matrix", **{f"m{i}_{j}": "low" for i in range(1, 6) for j in range(1, 6)}}
    post["m1_1"] = "major"
    r = c.post("/risks/settings/", post)
    assert r.status_code == 400 and "不应越低" in r.content.decode()
    r = c.post("/risks/settings/", {"what": "point", "point_domain": domains[0].pk, "point-text": "读书班缺勤",
                                    "point-sort_order": 5, "point-is_active": "on"})
    assert r.status_code == 302 and domains[0].points.filter(text="读书班缺勤").exists()
