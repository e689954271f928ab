"""Plans → ledger in a real browser: import a plan, map an actor, confirm, see the tasks, report
progress with a file, the unit head confirms, and the leader's overview changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ledger.choices import TaskStatus
from ledger.models import Task
from plans.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = """测试机关2026年意识形态工作要点
一、强化理论武装，筑牢思想根基
1.抓实理论学习。宣传科每月开展1次集中学习研讨，全年集中学习不少于12次。
二、巩固阵地建设
2.加强网站管理。每季度开展1次网站内容巡查。
"""
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_import_map_confirm_report_and_overview(world, new_page, browser_login, live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url

    # The coordinating office's administrator pastes the plan and previews it.
    admin = browser_login(new_page(), world.admin)
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.goto(f"{base}/plans/import/")
    admin.fill("#id_text", PLAN)
    admin.click("#import-submit")
    admin.wait_for_url(f"{base}/plans/import/*/")
    expect(admin.locator("[data-item]")).to_have_count(2)
    # Item 2 names no one: flagged in red and parked with the coordinating office.
    flagged = admin.locator("#item-2 [data-flagged]")
    expect(flagged).to_have_count(1)
    expect(admin.locator("#item-2 [data-unresolved]")).to_contain_text("责任主体待确认")

    # Map it to 信息科 as the lead unit, in place.
    admin.locator("#item-2 [data-edit-obligation]").first.click()
    form = admin.locator("#item-2 form.obligation-form")
    expect(form).to_be_visible()
    for box in form.locator("input[name=lead]:checked").all():
        box.uncheck()
    form.locator(f"input[name=lead][value='{world.unit_b.pk}']").check()
    form.locator("[data-save-obligation]").click()
    expect(admin.locator("#item-2 [data-flagged]")).to_have_count(0)
    expect(admin.locator("#item-2 [data-units]")).to_contain_text("信息科")

    admin.click("#import-confirm")
    admin.wait_for_url(f"{base}/plans/*/")
    plan = Plan.objects.get()
    assert plan.items.count() == 2
    inspections = Task.objects.filter(plan=plan, obligation__frequency="quarterly")
    assert inspections.exists() and set(inspections.values_list("unit__name", flat=True)) == {"信息科"}
    studies = Task.objects.filter(plan=plan, unit=world.unit_a, obligation__frequency="monthly").order_by("due_date")
    assert studies.exists()
    task = studies.first()

    # The leader looks at the overview before anything is done.
    leader = browser_login(new_page(), world.first)
    leader.goto(f"{base}/ledger/overview/?plan={plan.pk}")
    done_before = int(leader.locator("[data-done]").inner_text())

    # A 宣传科 staff member sees the task, reports progress with minutes attached and asks to close.
    staff = browser_login(new_page(), world.staff_a)
    staff.goto(f"{base}/ledger/unit/")
    expect(staff.locator(f"a[href='/ledger/{task.pk}/']").first).to_be_visible()
    staff.goto(f"{base}/ledger/{task.pk}/")
    expect(staff.locator("body")).to_contain_text("每月开展1次集中学习研讨")  # the plan's own words
    minutes = tmp_path / "学习研讨纪要.pdf"
    minutes.write_bytes(PDF)
    progress = staff.locator("#progress-form")
    progress.locator("textarea[name=text]").fill("已开展集中学习研讨，纪要附后")
    progress.locator("input[name=increment]").fill("1")
    progress.locator("input[type=file]").set_input_files(str(minutes))
    progress.locator("input[name=request_completion]").check()
    progress.locator("#progress-submit").click()
    expect(staff.locator("body")).to_contain_text("学习研讨纪要.pdf")
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING_REVIEW

    # The 信息科 staff cannot open it at all; the 宣传科 head confirms it.
    other = browser_login(new_page(), world.staff_b)
    assert other.goto(f"{base}/ledger/{task.pk}/").status == 404
    head = browser_login(new_page(), world.head_a)
    head.on("dialog", lambda dialog: dialog.accept())
    head.goto(f"{base}/ledger/{task.pk}/")
    head.click("#confirm-btn")
    expect(head.locator("body")).to_contain_text("已完成")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.confirmed_by == world.head_a

    # The leader's overview now counts it.
    leader.goto(f"{base}/ledger/overview/?plan={plan.pk}")
    expect(leader.locator("[data-done]")).to_have_text(str(done_before + 1))
