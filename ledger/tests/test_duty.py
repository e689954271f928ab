"""Duty rosters and logs: daily and continuous duties are a roster and a log, not hundreds of tasks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from core.models import AuditAction, AuditEntry
from ledger import supervision as sv
from ledger.models import Duty, DutyLog, DutyShift

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def duty(world):
    return sv.do_create_duty(unit=world.unit_a, title="网络舆情 7×24 小时值班监测", frequency="continuous",
                             acting_user=world.head_a)


def test_only_heads_and_leaders_of_the_unit_create_duties(world, duty):
    assert duty.unit == world.unit_a and duty.is_active
    for user in (world.staff_a, world.head_b):
        with pytest.raises(PermissionDenied):
            sv.do_create_duty(unit=world.unit_a, title="越权", frequency="daily", acting_user=user)
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="ledger.duty", actor=world.head_a).exists()
    assert sv.do_create_duty(unit=world.unit_a, title="日常巡查", frequency="daily", acting_user=world.leader_a)
    with pytest.raises(ValidationError):
        sv.do_create_duty(unit=world.unit_a, title="  ", frequency="daily", acting_user=world.head_a)


def test_assigning_and_removing_shifts(world, duty):
    staff = world.staff_a.person
    shift = sv.do_assign_shift(duty, date=D(2026, 10, 1), person=staff, acting_user=world.head_a)
    with pytest.raises(ValidationError, match="已排班"):
        sv.do_assign_shift(duty, date=D(2026, 10, 1), person=staff, acting_user=world.head_a)
    with pytest.raises(ValidationError, match="该单位的在岗人员"):
        sv.do_assign_shift(duty, date=D(2026, 10, 2), person=world.staff_b.person, acting_user=world.head_a)
    with pytest.raises(PermissionDenied):
        sv.do_assign_shift(duty, date=D(2026, 10, 2), person=staff, acting_user=world.staff_a)
    sv.do_assign_shift(duty, date=D(2026, 10, 1), person=world.head_a.person, acting_user=world.head_a)  # two on a day
    assert DutyShift.objects.filter(duty=duty, date=D(2026, 10, 1)).count() == 2
    with pytest.raises(PermissionDenied):
        sv.do_remove_shift(shift, acting_user=world.head_b)
    sv.do_remove_shift(shift, acting_user=world.head_a)
    assert list(AuditEntry.objects.filter(object_type="ledger.dutyshift").order_by("seq").values_list("action", flat=True)) == [
        "create", "create", "delete"]


def test_rotation_follows_the_working_day_calendar(world, duty):
    a, b = world.staff_a.person, world.head_a.person
    created = sv.do_rotate_shifts(duty, people=[a, b], start=D(2026, 9, 28), end=D(2026, 10, 12),
                                  acting_user=world.head_a)
    roster = list(DutyShift.objects.filter(duty=duty).order_by("date").values_list("date", "person__name"))
    # 10-01 … 10-07 off, Sunday 10-11 off, Saturday 10-10 a make-up working day.
    assert created == 7 and roster == [
        (D(2026, 9, 28), "宣传科员"), (D(2026, 9, 29), "宣传科长"), (D(2026, 9, 30), "宣传科员"),
        (D(2026, 10, 8), "宣传科长"), (D(2026, 10, 9), "宣传科员"), (D(2026, 10, 10), "宣传科长"),
        (D(2026, 10, 12), "宣传科员"),
    ]
    # Days already covered are kept; replace=True redoes the range; every calendar day for 7×24 duty.
    assert sv.do_rotate_shifts(duty, people=[b], start=D(2026, 9, 28), end=D(2026, 10, 12),
                               acting_user=world.head_a) == 0
    assert sv.do_rotate_shifts(duty, people=[b], start=D(2026, 10, 1), end=D(2026, 10, 7), workdays_only=False,
                               acting_user=world.head_a) == 7
    assert sv.do_rotate_shifts(duty, people=[a], start=D(2026, 9, 28), end=D(2026, 10, 12), workdays_only=False,
                               replace=True, acting_user=world.head_a) == 15
    assert set(DutyShift.objects.filter(duty=duty).values_list("person__name", flat=True)) == {"宣传科员"}
    with pytest.raises(ValidationError, match="结束日期"):
        sv.do_rotate_shifts(duty, people=[a], start=D(2026, 10, 12), end=D(2026, 10, 1), acting_user=world.head_a)
    with pytest.raises(ValidationError):
        sv.do_rotate_shifts(duty, people=[], start=D(2026, 10, 1), end=D(2026, 10, 2), acting_user=world.head_a)


def test_duty_log_by_the_unit_or_whoever_is_on_duty(world, duty):
    today = D(2026, 10, 8)
    log = sv.do_write_duty_log(duty, text="8:00 接班，网络舆情平稳；10:20 发现一条涉本单位负面帖文，已报科长", acting_user=world.staff_a,
                               today=today)
    assert (log.date, log.author) == (today, world.staff_a)
    for user in (world.staff_b, world.staff_a_child):
        with pytest.raises(PermissionDenied):
            sv.do_write_duty_log(duty, text="越权记录", acting_user=user, today=today)
    with pytest.raises(ValidationError):
        sv.do_write_duty_log(duty, text=" ", acting_user=world.staff_a, today=today)
    sv.do_set_duty_active(duty, active=False, acting_user=world.head_a)
    with pytest.raises(ValidationError, match="已停用"):
        sv.do_write_duty_log(duty, text="停用后", acting_user=world.staff_a, today=today)
    assert AuditEntry.objects.filter(object_type="ledger.dutylog", action=AuditAction.CREATE).count() == 1


def test_duty_pages(world, duty, login):
    head, staff, outsider = login(world.head_a, Client()), login(world.staff_a, Client()), login(world.staff_b, Client())
    today = timezone.localdate()
    sv.do_assign_shift(duty, date=today, person=world.staff_a.person, acting_user=world.head_a)
    page = staff.get("/ledger/duties/").content.decode()
    assert f'data-duty="{duty.pk}"' in page and "宣传科员" in page and "未记录" in page
    assert f'data-duty="{duty.pk}"' not in outsider.get("/ledger/duties/").content.decode()
    assert outsider.get(f"/ledger/duties/{duty.pk}/").status_code == 404

    page = staff.get(f"/ledger/duties/{duty.pk}/").content.decode()
    assert 'id="duty-log-form"' in page and 'id="rotate-form"' not in page and 'id="roster-grid"' in page
    response = staff.post(f"/ledger/duties/{duty.pk}/log/", {"text": "交班：无异常"})
    assert response.status_code == 302 and DutyLog.objects.get(duty=duty).text == "交班：无异常"
    assert "已记录" in staff.get("/ledger/duties/").content.decode()
    assert staff.post(f"/ledger/duties/{duty.pk}/rotate/", {"people": [world.staff_a.person.pk],
                                                           "start": "2026-11-02", "end": "2026-11-06"}).status_code == 403

    page = head.get(f"/ledger/duties/{duty.pk}/?month=2026-11").content.decode()
    assert 'id="rotate-form"' in page and "2026 年 11 月" in page
    response = head.post(f"/ledger/duties/{duty.pk}/rotate/", {
        "people": [world.staff_a.person.pk, world.head_a.person.pk], "start": "2026-11-02", "end": "2026-11-08",
        "workdays_only": "on", "month": "2026-11"})
    assert response.status_code == 302 and response["Location"].endswith("?month=2026-11")
    week = DutyShift.objects.filter(duty=duty, date__gte=D(2026, 11, 2), date__lte=D(2026, 11, 8))
    assert week.exclude(date=today).count() == 5 - (1 if D(2026, 11, 2) <= today <= D(2026, 11, 6) else 0)
    response = head.post(f"/ledger/duties/{duty.pk}/shifts/", {"date": "2026-11-02", "person": world.staff_b.person.pk})
    assert response.status_code == 400  # a person of another unit is not a choice
    shift = DutyShift.objects.filter(duty=duty, date=D(2026, 11, 3)).get()
    assert head.post(f"/ledger/duties/{duty.pk}/shifts/{shift.pk}/delete/").status_code == 302
    assert not DutyShift.objects.filter(pk=shift.pk).exists()

    assert head.get("/ledger/duties/new/").status_code == 200
    response = head.post("/ledger/duties/new/", {"unit": world.unit_a.pk, "title": "每日网站巡查", "frequency": "daily"})
    assert response.status_code == 302 and Duty.objects.filter(title="每日网站巡查").exists()
    response = head.post("/ledger/duties/new/", {"unit": world.unit_b.pk, "title": "越权", "frequency": "daily"})
    assert response.status_code == 400 and not Duty.objects.filter(title="越权").exists()
    assert staff.get("/ledger/duties/new/").status_code == 403
