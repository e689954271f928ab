"""The working-day calendar on real 2025–2026 dates, overrides, the fallback, and the calendar page."""

from __future__ import annotations

import datetime
import zoneinfo
from datetime import date

import pytest

from core import workdays
from core.calendar_actions import do_delete_override, do_set_override
from core.models import AuditAction, AuditEntry, CalendarOverride

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Test transactions roll back without signals; never let one test's overrides leak into another.
    workdays.clear_cache()
    yield
    workdays.clear_cache()


def days(start: date, end: date) -> list[date]:
    return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]


# --- the statutory calendar -------------------------------------------------------------------------


def test_national_day_2025_with_make_up_days():
    # 国庆节、中秋节: 10月1日至8日放假调休，共8天；9月28日（周日）、10月11日（周六）上班。
    assert not any(workdays.is_workday(d) for d in days(date(2025, 10, 1), date(2025, 10, 8)))
    assert workdays.is_workday(date(2025, 9, 28)) and date(2025, 9, 28).weekday() == 6
    assert workdays.is_workday(date(2025, 10, 11)) and date(2025, 10, 11).weekday() == 5
    assert workdays.is_workday(date(2025, 10, 9))
    assert not workdays.is_workday(date(2025, 10, 12))  # an ordinary Sunday
    assert not workdays.is_workday(date(2025, 9, 27))  # an ordinary Saturday


def test_spring_festival_2026_as_the_package_has_it():
    # Package 1.11.0 (国办发明电〔2025〕7号): 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班.
    assert not any(workdays.is_workday(d) for d in days(date(2026, 2, 15), date(2026, 2, 23)))
    assert workdays.is_workday(date(2026, 2, 14)) and date(2026, 2, 14).weekday() == 5
    assert workdays.is_workday(date(2026, 2, 28)) and date(2026, 2, 28).weekday() == 5
    assert workdays.is_workday(date(2026, 2, 24))
    info = workdays.day_info(date(2026, 2, 16))
    assert (info.kind, info.name, info.source) == ("holiday", "春节", "package")
    assert workdays.day_info(date(2026, 2, 14)).kind == "makeup"


def test_national_day_and_mid_autumn_2026():
    assert not any(workdays.is_workday(d) for d in days(date(2026, 10, 1), date(2026, 10, 7)))
    assert not any(workdays.is_workday(d) for d in days(date(2026, 9, 25), date(2026, 9, 27)))  # 中秋节
    assert workdays.is_workday(date(2026, 9, 20))  # Sunday, 国庆节调休
    assert workdays.is_workday(date(2026, 10, 10))  # Saturday, 国庆节调休
    assert workdays.is_workday(date(2026, 10, 8))
    assert workdays.day_info(date(2026, 10, 10)).name == "国庆节调休"


def test_day_info_kinds():
    assert workdays.day_info(date(2025, 9, 28)) == workdays.DayInfo(
        date(2025, 9, 28), True, "makeup", "package", "国庆节调休"
    )
    assert workdays.day_info(date(2025, 10, 1)).name == "国庆节"
    assert workdays.day_info(date(2025, 10, 1)).label == "放假"
    assert workdays.day_info(date(2025, 9, 27)).kind == "weekend"
    assert workdays.day_info(date(2025, 9, 29)).kind == "workday"


def test_periods():
    assert workdays.last_workday_of_month(2025, 9) == date(2025, 9, 30)  # a Tuesday, working
    assert date(2025, 9, 30).weekday() == 1
    assert workdays.first_workday_of_month(2025, 10) == date(2025, 10, 9)  # after the holiday week
    assert workdays.last_workday_of_month(2025, 10) == date(2025, 10, 31)
    # February 2026 ends on a Saturday that is a make-up working day.
    assert workdays.last_workday_of_month(2026, 2) == date(2026, 2, 28)
    assert workdays.last_workday_of_month(2026, 1) == date(2026, 1, 30)  # Jan 31 is a Saturday
    assert workdays.last_workday_of_quarter(2025, 3) == date(2025, 9, 30)
    assert workdays.last_workday_of_quarter(2026, 1) == date(2026, 3, 31)
    assert workdays.last_workday_of_half(2026, 1) == date(2026, 6, 30)
    assert workdays.last_workday_of_half(2025, 2) == date(2025, 12, 31)
    assert workdays.last_workday_of_year(2026) == date(2026, 12, 31)
    assert workdays.first_workday_of_month(2026, 1) == date(2026, 1, 4)  # Sunday, 元旦调休
    with pytest.raises(ValueError):
        workdays.last_workday_of_quarter(2026, 5)
    with pytest.raises(ValueError):
        workdays.last_workday_of_half(2026, 3)


def test_add_workdays_across_national_day_week():
    tuesday = date(2025, 9, 30)
    assert workdays.add_workdays(tuesday, 1) == date(2025, 10, 9)
    assert workdays.add_workdays(tuesday, 2) == date(2025, 10, 10)
    assert workdays.add_workdays(tuesday, 3) == date(2025, 10, 11)  # the make-up Saturday counts
    assert workdays.add_workdays(tuesday, 4) == date(2025, 10, 13)
    assert workdays.add_workdays(date(2025, 9, 26), 1) == date(2025, 9, 28)  # Friday → make-up Sunday
    assert workdays.add_workdays(date(2025, 10, 9), -1) == tuesday
    assert workdays.add_workdays(date(2025, 10, 13), -4) == tuesday
    assert workdays.add_workdays(date(2025, 10, 3), 0) == date(2025, 10, 9)  # 0 rolls onto a working day
    assert workdays.add_workdays(tuesday, 0) == tuesday


def test_next_and_previous_workday():
    assert workdays.next_workday(date(2025, 10, 1)) == date(2025, 10, 9)
    assert workdays.next_workday(date(2025, 9, 30)) == date(2025, 10, 9)
    assert workdays.next_workday(date(2025, 9, 30), include_self=True) == date(2025, 9, 30)
    assert workdays.previous_workday(date(2025, 10, 8)) == date(2025, 9, 30)
    assert workdays.previous_workday(date(2025, 10, 9), include_self=True) == date(2025, 10, 9)
    assert workdays.next_workday(date(2026, 2, 13)) == date(2026, 2, 14)  # Friday → make-up Saturday


def test_workdays_between_is_the_inverse_of_add_workdays():
    assert workdays.workdays_between(date(2025, 9, 30), date(2025, 10, 11)) == 3
    assert workdays.workdays_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert workdays.workdays_between(date(2025, 10, 11), date(2025, 9, 30)) == -3
    assert workdays.workdays_between(date(2025, 9, 30), date(2025, 9, 30)) == 0
    for start in (date(2025, 9, 26), date(2025, 10, 3), date(2026, 2, 13)):
        for n in (-12, -5, -1, 1, 3, 10, 25):
            assert workdays.workdays_between(start, workdays.add_workdays(start, n)) == n


def test_aware_datetimes_count_in_beijing_time():
    # 2025-09-30 17:00 UTC is already 1 October, a holiday, in Beijing.
    moment = datetime.datetime(2025, 9, 30, 17, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert not workdays.is_workday(moment)
    assert workdays.next_workday(moment) == date(2025, 10, 9)


# --- overrides and the fallback ---------------------------------------------------------------------


def test_override_beats_the_package_and_the_cache_follows(world):
    assert workdays.is_workday(date(2025, 10, 9))  # loads the (empty) overrides into the cache
    do_set_override(date(2025, 10, 9), False, "本地加放", acting_user=world.admin)
    assert not workdays.is_workday(date(2025, 10, 9))
    assert workdays.next_workday(date(2025, 10, 1)) == date(2025, 10, 10)
    do_set_override(date(2025, 10, 4), True, "值班", acting_user=world.admin)  # a holiday Saturday
    assert workdays.is_workday(date(2025, 10, 4))
    info = workdays.day_info(date(2025, 10, 4))
    assert (info.kind, info.source, info.name) == ("makeup", "override", "值班")
    assert workdays.statutory_day_info(date(2025, 10, 4)).is_workday is False
    do_delete_override(CalendarOverride.objects.get(date=date(2025, 10, 9)), acting_user=world.admin)
    assert workdays.is_workday(date(2025, 10, 9))


def test_cache_is_dropped_when_the_write_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        CalendarOverride.objects.create(date=date(2026, 3, 2), is_workday=False, name="临时放假")
    assert not workdays.is_workday(date(2026, 3, 2))


def test_other_processes_catch_up_after_the_cache_lifetime(world, monkeypatch):
    override = CalendarOverride.objects.create(date=date(2026, 3, 3), is_workday=False)
    workdays._cache._local.pending = False  # as if the write had committed in another process
    workdays.clear_cache()
    assert not workdays.is_workday(date(2026, 3, 3))
    CalendarOverride.objects.filter(pk=override.pk).update(is_workday=True)  # no signal: "elsewhere"
    assert not workdays.is_workday(date(2026, 3, 3))  # still the cached copy
    monkeypatch.setattr(workdays, "CACHE_SECONDS", 0.0)
    assert workdays.is_workday(date(2026, 3, 3))


def test_year_without_package_data_falls_back_to_weekends(world):
    assert workdays.covered(2025) and workdays.covered(2026)
    assert not workdays.covered(2031)
    assert workdays.coverage() == (2004, 2026)
    assert workdays.is_workday(date(2031, 10, 1))  # a Wednesday; no data → an ordinary working day
    assert not workdays.is_workday(date(2031, 10, 4))  # Saturday
    assert workdays.add_workdays(date(2031, 1, 3), 1) == date(2031, 1, 6)
    assert workdays.last_workday_of_month(2031, 5) == date(2031, 5, 30)  # May 31 is a Saturday
    assert workdays.day_info(date(2031, 10, 1)).source == "weekday"
    do_set_override(date(2031, 10, 1), False, "国庆节", acting_user=world.admin)
    do_set_override(date(2031, 9, 28), True, "国庆节调休", acting_user=world.admin)  # a Sunday
    assert not workdays.is_workday(date(2031, 10, 1))
    assert workdays.is_workday(date(2031, 9, 28))
    assert workdays.day_info(date(2031, 10, 1)).kind == "holiday"


def test_set_override_updates_in_place_and_is_audited(world):
    override, created = do_set_override(date(2026, 4, 30), False, "调休", acting_user=world.admin)
    assert created
    same, created = do_set_override(date(2026, 4, 30), True, "改为上班", acting_user=world.admin)
    assert not created and same.pk == override.pk
    assert CalendarOverride.objects.count() == 1
    entries = list(AuditEntry.objects.filter(object_type="core.calendaroverride").order_by("seq"))
    assert [e.action for e in entries] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert all(e.actor_id == world.admin.pk for e in entries)
    assert entries[1].changes["is_workday"] == [False, True]
    do_delete_override(override.pk, acting_user=world.admin)
    last = AuditEntry.objects.filter(object_type="core.calendaroverride").order_by("-seq").first()
    assert last.action == AuditAction.DELETE and last.actor_id == world.admin.pk


# --- the calendar page ------------------------------------------------------------------------------


def test_calendar_page_shows_the_month_grid(world, login):
    c = login(world.admin)
    response = c.get("/calendar/?year=2025&month=10")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-date="2025-10-01" data-kind="holiday"' in html
    assert 'data-date="2025-10-11" data-kind="makeup"' in html
    assert 'data-date="2025-09-29" data-kind="workday"' in html  # the grid starts on Monday 29 Sept
    assert "国庆节调休" in html
    assert "coverage-warning" not in html


def test_calendar_warns_for_a_year_the_package_lacks(world, login):
    c = login(world.admin)
    html = c.get("/calendar/?year=2031&month=10").content.decode()
    assert "coverage-warning" in html and "2031 年的法定节假日安排尚未纳入" in html
    assert 'data-date="2031-10-01" data-kind="workday"' in html


def test_calendar_add_and_delete_override(world, login):
    c = login(world.admin)
    response = c.post(
        "/calendar/?year=2026&month=5", {"date": "2026-05-09", "is_workday": "1", "name": "劳动节调休"}
    )
    assert response.status_code == 302 and response["Location"] == "/calendar/?year=2026&month=5"
    override = CalendarOverride.objects.get(date=date(2026, 5, 9))
    assert override.is_workday and override.name == "劳动节调休"
    page = c.get(response["Location"]).content.decode()
    assert "已设置" in page and "劳动节调休" in page
    assert 'data-date="2026-05-09" data-kind="makeup" data-source="override"' in page
    entry = AuditEntry.objects.filter(object_type="core.calendaroverride", action=AuditAction.CREATE).get()
    assert entry.actor_id == world.admin.pk and entry.via == "web"

    assert c.get(f"/calendar/{override.pk}/delete/").status_code == 405
    response = c.post(f"/calendar/{override.pk}/delete/")
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
    assert "已删除" in c.get(response["Location"]).content.decode()


def test_calendar_form_errors_in_chinese(world, login):
    c = login(world.admin)
    response = c.post("/calendar/", {"date": "", "is_workday": "1"})
    assert response.status_code == 200
    assert "未保存" in response.content.decode()
    assert not CalendarOverride.objects.exists()


def test_override_list_is_filtered_by_year_and_paginated(world, login):
    for day in range(1, 26):
        CalendarOverride.objects.create(date=date(2031, 1, day), is_workday=False, name=f"测试{day}")
    CalendarOverride.objects.create(date=date(2026, 1, 5), is_workday=False, name="只在2026")
    c = login(world.admin)
    html = c.get("/calendar/?year=2031&month=1").content.decode()
    assert "只在2026" not in html
    assert html.count("测试") >= 20 and "下一页" in html
    assert "只在2026" in c.get("/calendar/?year=2026&month=1").content.decode()


def test_calendar_is_for_administrators_only(world, login):
    c = login(world.head_a)
    assert c.get("/calendar/").status_code == 403
    override = CalendarOverride.objects.create(date=date(2026, 5, 9), is_workday=True)
    assert c.post(f"/calendar/{override.pk}/delete/").status_code == 403
    assert c.post("/calendar/", {"date": "2026-05-10", "is_workday": "1"}).status_code == 403
    assert CalendarOverride.objects.count() == 1
    denied = AuditEntry.objects.filter(action=AuditAction.DENIED, actor=world.head_a)
    assert denied.count() == 3
