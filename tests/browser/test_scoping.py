"""Unit scoping in a real browser: two users of different units, side by side."""

from __future__ import annotations

import pytest

from org.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_users_of_two_units_see_only_their_own(world, new_page, browser_login, live_server):
    page_a = browser_login(new_page(), world.staff_a)  # 宣传科
    page_b = browser_login(new_page(), world.staff_b)  # 信息科
    person_a = Person.objects.get(user=world.staff_a)
    person_b = Person.objects.get(user=world.staff_b)

    page_a.goto(f"{live_server.url}/org/people/")
    page_b.goto(f"{live_server.url}/org/people/")
    text_a = page_a.locator(".page-body").first.inner_text()
    text_b = page_b.locator(".page-body").first.inner_text()
    assert "宣传科员" in text_a and "信息科员" not in text_a
    assert "信息科员" in text_b and "宣传科员" not in text_b

    # Reaching across by typing the other unit's record into the address bar: "not found", in Chinese.
    response = page_a.goto(f"{live_server.url}/org/people/{person_b.pk}/")
    assert response.status == 404
    assert "不存在" in page_a.content()
    assert page_b.goto(f"{live_server.url}/org/people/{person_a.pk}/").status == 404
    # Their own record opens.
    assert page_a.goto(f"{live_server.url}/org/people/{person_a.pk}/").status == 200

    # The unit head of 宣传科 reaches the sub-unit 网络组 too, but still not 信息科.
    page_head = browser_login(new_page(), world.head_a)
    page_head.goto(f"{live_server.url}/org/people/")
    text_head = page_head.locator(".page-body").first.inner_text()
    assert "网络组员" in text_head and "信息科员" not in text_head
