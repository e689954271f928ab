"""Risks in a real browser: a unit head fills in a screening checklist (a risk found becomes a register
entry); a leader reads the heat map, clicks through to the filtered register and flags a 重大 risk
(挂牌督办), then sees the flag panel with the supervision."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core import workdays
from org.models import Person
from risks import actions
from risks.models import Risk, RiskFlag, SelfCheck

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _setup(world):
    domains = []
    for i, (name, points) in enumerate([("理论学习", ["中心组学习流于形式"]), ("网络阵地", ["评论区管理缺位", "账号长期不更新"])]):
        domain = actions.do_save_domain(None, name=name, sort_order=i, acting_user=world.admin)
        for text in points:
            actions.do_save_point(None, domain=domain, text=text, acting_user=world.admin)
        domains.append(domain)
    today = timezone.localdate()
    actions.do_launch_campaign(kind="special", title="重要节点专项排查", start_date=today,
                               due_date=workdays.add_workdays(today, 5), units=[world.unit_a, world.unit_b],
                               acting_user=world.admin)
    actions.create_risk(unit=world.unit_a, title="讲座未报备", description="未履行一会一报", domain=domains[0],
                        likelihood=2, impact=2, deadline=workdays.add_workdays(today, 10), acting_user=world.head_a)
    return domains


def test_unit_head_fills_screening_checklist(world, new_page, browser_login, live_server):
    _setup(world)
    page = browser_login(new_page(), world.head_a)
    page.goto(f"{live_server.url}/risks/screening/")
    check = SelfCheck.objects.get(unit=world.unit_a)
    page.click(f"[data-fill='{check.pk}']")
    expect(page.locator("#check-table tbody tr")).to_have_count(3)
    answers = list(check.answers.order_by("order"))
    for answer in answers:
        page.select_option(f"select[name='a{answer.pk}-result']", "ok")
    risky = answers[1]
    page.select_option(f"select[name='a{risky.pk}-result']", "risk")
    page.click("#check-submit")
    # A risk without an explanation is refused with the reason, nothing is submitted.
    expect(page.locator("#check-errors")).to_contain_text("请评定可能性")
    page.fill(f"input[name='a{risky.pk}-note']", "评论区夜间无人审核")
    page.select_option(f"select[name='a{risky.pk}-likelihood']", "5")
    page.select_option(f"select[name='a{risky.pk}-impact']", "5")
    page.fill("#id_summary", "总体平稳，发现一处重大隐患")
    page.click("#check-submit")
    expect(page.locator("#check-status")).to_have_text("已提交")
    expect(page.locator("#check-table")).to_contain_text("已登记风险")
    risk = Risk.objects.get(source="screening")
    assert risk.level == "major" and risk.unit == world.unit_a
    # The coordinating office sees who has not filled in.
    admin = browser_login(new_page(), world.admin)
    admin.goto(f"{live_server.url}/risks/screening/{check.campaign_id}/")
    expect(admin.locator("#missing-units")).to_contain_text("信息科")
    expect(admin.locator("#missing-units")).not_to_contain_text("宣传科")


def test_leader_reads_heat_map_and_flags_a_major_risk(world, new_page, browser_login, live_server):
    domains = _setup(world)
    owner = Person.objects.get(user=world.staff_a)
    major = actions.create_risk(unit=world.unit_a, title="评论区出现错误言论", description="无人审核", domain=domains[1],
                                likelihood=5, impact=5, owner=owner, acting_user=world.head_a,
                                deadline=workdays.add_workdays(timezone.localdate(), 15))
    page = browser_login(new_page(), world.leader_a)
    page.goto(f"{live_server.url}/risks/heatmap/")
    expect(page.locator("#risk-heatmap canvas")).to_have_count(1)  # drawn by static/yishi/risks.js
    expect(page.locator("#heatmap-table [data-total]")).to_have_text("2")
    page.click(f"[data-cell='{domains[1].pk}-major']")
    expect(page.locator("#risk-table tbody tr")).to_have_count(1)
    expect(page.locator("#f-level")).to_have_value("major")
    page.click(f"#risk-table a[href='/risks/{major.pk}/']")
    expect(page.locator("#flag-form")).to_be_visible()
    page.fill("#id_flag-group_name", "评论区整治专班")
    page.select_option("#id_flag-group", [str(owner.pk), str(Person.objects.get(user=world.head_a).pk)])
    page.select_option("#id_flag-cadence", "weekly")
    page.fill("#id_flag-order", "两周内完成整改，每周报送进展")
    page.click("#flag-form button[type=submit]")
    expect(page.locator("#flag-panel")).to_be_visible()
    expect(page.locator("#flag-leader")).to_have_text("分管领导甲")
    expect(page.locator("#risk-steps tbody tr")).to_have_count(2)  # the flag task and the first report
    flag = RiskFlag.objects.get(risk=major)
    assert flag.supervision is not None and flag.group.count() == 2
    page.click("#supervision-link")
    expect(page.locator("body")).to_contain_text("重大事项")
