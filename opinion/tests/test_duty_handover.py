"""Monitoring duty handover: the roster is the ledger's Duty/DutyShift; the handover log is ours."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEntry
from ledger import supervision as sv
from opinion import actions, alerting
from opinion.models import DutyHandover
from opinion.tests import b2_factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def duty(world):
    return sv.do_create_duty(unit=world.unit_a, title="网络舆情 7×24 小时值班监测", frequency="continuous",
                             acting_user=world.head_a)


def test_handover_snapshot_and_acknowledgement(world, duty):
    analyst = f.analyst(world)
    f.alert_rule(world.unit_a)
    alerting.evaluate_item_alerts([f.item("夜班发现的负面", sentiment="neg")], now=f.at(2026, 11, 24, 10))
    actions.do_open_incident(title="在办事项", level="red", unit=world.unit_a, acting_user=analyst)
    handover = actions.do_hand_over(duty, shift_date=timezone.localdate(), from_person=world.staff_a.person,
                                    to_person=world.head_a.person, notes="夜间平稳", acting_user=world.staff_a)
    assert "未签收预警 1 条" in handover.summary and "夜班发现的负面" in handover.summary
    assert "在办处置事项 1 件" in handover.summary and "【红色】在办事项（受理" in handover.summary
    with pytest.raises(PermissionDenied):
        actions.do_acknowledge_handover(handover, acting_user=world.staff_a)
    handover = actions.do_acknowledge_handover(handover, acting_user=world.head_a)
    assert handover.acknowledged_by == world.head_a and handover.acknowledged_at
    with pytest.raises(ValidationError, match="已确认接班"):
        actions.do_acknowledge_handover(handover, acting_user=world.head_a)
    actions_logged = AuditEntry.objects.filter(object_type="opinion.dutyhandover").values_list("action", flat=True)
    assert sorted(actions_logged) == ["create", "denied", "update"]


def test_handover_refusals(world, duty):
    with pytest.raises(PermissionDenied):
        actions.do_hand_over(duty, shift_date=timezone.localdate(), from_person=world.staff_b.person,
                             to_person=world.head_b.person, acting_user=world.staff_b)
    with pytest.raises(ValidationError):
        actions.do_hand_over(duty, shift_date=timezone.localdate(), from_person=world.staff_a.person,
                             to_person=world.staff_a.person, acting_user=world.staff_a)


def test_duty_page(world, duty, login, client):
    sv.do_assign_shift(duty, date=timezone.localdate(), person=world.staff_a.person, acting_user=world.head_a)
    viewer = f.analyst(world)  # opinion.view, in 宣传科
    c = login(viewer)
    page = c.get("/opinion/duty/")
    assert page.status_code == 200 and "网络舆情 7×24 小时值班监测" in page.content.decode()
    response = c.post(f"/opinion/duty/?duty={duty.pk}", {"shift_date": timezone.localdate().isoformat(),
                                                         "to_person": world.staff_a.person.pk, "notes": "交接"})
    assert response.status_code == 302
    handover = DutyHandover.objects.get()
    assert handover.from_person == viewer.person
    staff = login(world.staff_a, client.__class__())
    # staff_a has no opinion.view: the page refuses, the handover is acknowledged by its receiver only.
    assert staff.post(f"/opinion/duty/handovers/{handover.pk}/ack/").status_code == 403
    other = f.analyst(world, world.unit_b, "analyst_b")
    assert login(other, client.__class__()).post(f"/opinion/duty/handovers/{handover.pk}/ack/").status_code == 404
    assert c.post(f"/opinion/duty/handovers/{handover.pk}/ack/").status_code == 403  # not the receiver
    handover.refresh_from_db()
    assert handover.acknowledged_at is None
    assert handover.shift_date == timezone.localdate() and handover.handed_over_at <= timezone.now()
    assert handover.handed_over_at > timezone.now() - datetime.timedelta(minutes=5)
