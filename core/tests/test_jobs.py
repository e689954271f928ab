"""Core periodic jobs: stale deliveries re-queued, audit chain verified nightly."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.jobs import requeue_stale_deliveries, verify_audit_chain
from core.models import AuditEntry, Channel, DeliveryStatus, Notification, NotificationDelivery
from core.tasking import run_sync

pytestmark = pytest.mark.django_db


def test_stale_open_delivery_is_requeued(world):
    from django_tasks_db.models import DBTaskResult

    note = Notification.objects.create(recipient=world.staff_a, title="t")
    stale = NotificationDelivery.objects.create(notification=note, channel=Channel.EMAIL, target="a@b.c")
    NotificationDelivery.objects.create(notification=note, channel=Channel.EMAIL, target="d@e.f")  # recent: left alone
    done = NotificationDelivery.objects.create(notification=note, channel=Channel.EMAIL, target="g@h.i",
                                               status=DeliveryStatus.SENT)
    old = timezone.now() - datetime.timedelta(days=1)
    NotificationDelivery.objects.filter(pk__in=[stale.pk, done.pk]).update(created_at=old)
    before = DBTaskResult.objects.count()
    assert run_sync(requeue_stale_deliveries) == 1
    queued = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == before + 1
    assert queued.args_kwargs["args"] == [stale.pk]


def test_nightly_verify_notifies_admins_when_broken(world):
    from django.db import connection

    assert "完整" in run_sync(verify_audit_chain)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_change")
    AuditEntry.objects.filter(seq=2).update(object_repr="forged")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_no_change")
    assert "第 2 条" in run_sync(verify_audit_chain)
    assert Notification.objects.filter(recipient=world.admin, title="审计日志校验失败").exists()
