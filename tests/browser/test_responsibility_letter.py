"""A unit head signs this year's responsibility letter (责任书) in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from org.models import ResponsibilityLetter
from org.responsibility import do_create_letter_template, do_send_letters

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_unit_head_signs_the_letter(world, new_page, browser_login, live_server):
    template = do_create_letter_template(unit=world.root, year=2026, title="2026年度意识形态工作责任书",
                                         body="{负责人}同志：请{单位}切实履行{年度}年度意识形态工作责任。",
                                         acting_user=world.admin)
    do_send_letters(template, acting_user=world.admin)
    letter = ResponsibilityLetter.objects.get(addressee__user=world.head_a)

    page = browser_login(new_page(), world.head_a)
    page.goto(f"{live_server.url}/org/responsibility/letters/")
    row = page.locator(f"#letter-table tr[data-letter='{letter.pk}']")
    expect(row).to_contain_text("待签署")
    expect(page.locator("#letter-table")).not_to_contain_text("信息科")  # another unit's letter is not shown
    row.get_by_role("link", name="2026年度意识形态工作责任书").click()
    expect(page.locator("#letter-body")).to_contain_text("宣传科长同志：请宣传科切实履行2026年度意识形态工作责任。")

    page.click("#sign-btn")  # without ticking "我已阅读并同意": refused with the reason
    expect(page.locator("#sign-form")).to_contain_text("请先勾选“我已阅读并同意”")
    page.check("#sign-form input[name=confirm]")
    page.click("#sign-btn")

    expect(page.locator("#letter-status")).to_have_text("已签署")
    expect(page.locator("#signature")).to_contain_text("账号 head_a")
    expect(page.locator("#signature")).to_contain_text("校验一致")
    expect(page.locator("#sign-form")).to_have_count(0)
    letter.refresh_from_db()
    assert letter.status == "signed" and letter.signed_by == world.head_a and letter.signed_ip == "127.0.0.1"
    expect(page.locator("#letter-docx")).to_be_visible()
