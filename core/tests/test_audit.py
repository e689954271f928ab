"""The audit log: diffs, append-only, hash chain verification."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core import audit
from core.models import AuditAction, AuditEntry
from org.models import Unit

pytestmark = pytest.mark.django_db


def test_create_update_delete_recorded_with_diff(world):
    with audit.audit_context(actor=world.admin, ip="10.1.2.3"):
        unit = Unit.objects.create(name="审计测试科", parent=world.root)
        unit.name = "审计测试科（改）"
        unit.save()
        unit.delete()
    entries = list(AuditEntry.objects.filter(object_type="org.unit", object_id=str(unit.pk or "")).order_by("seq"))
    actions = [e.action for e in AuditEntry.objects.filter(object_repr__startswith="审计测试科").order_by("seq")]
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
    update = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_repr="审计测试科（改）").get()
    assert update.changes == {"name": ["审计测试科", "审计测试科（改）"]}
    assert update.actor == world.admin and update.ip == "10.1.2.3"
    assert entries is not None


def test_unchanged_save_writes_nothing(world):
    before = AuditEntry.objects.count()
    world.unit_a.save()
    assert AuditEntry.objects.count() == before


def test_passwords_are_masked(world):
    world.staff_a.set_password("Another-Pass-1")
    world.staff_a.save()
    entry = AuditEntry.objects.filter(object_type="core.user", action=AuditAction.UPDATE).first()
    assert entry.changes["password"] == ["******", "******"]


def test_entries_cannot_be_changed_through_the_orm(world):
    entry = AuditEntry.objects.first()
    entry.object_repr = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_chain_verifies_and_detects_tampering(world, capsys):
    ok, count, _ = audit.verify_chain()
    assert ok and count == AuditEntry.objects.count() > 10
    call_command("verify_audit")
    assert "完整" in capsys.readouterr().out
    victim = AuditEntry.objects.order_by("seq")[3]
    if connection.vendor == "postgresql":
        # The database refuses the change outright; prove it, then tamper with the trigger off.
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=victim.pk).update(object_repr="forged")
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_change")
    AuditEntry.objects.filter(pk=victim.pk).update(object_repr="forged")
    ok, _, message = audit.verify_chain()
    assert not ok and f"第 {victim.seq} 条" in message
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_no_change")


def test_deleted_tail_is_detected(world):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_change")
    last = AuditEntry.objects.order_by("-seq").first()
    AuditEntry.objects.filter(pk=last.pk)._raw_delete(AuditEntry.objects.db)
    ok, _, message = audit.verify_chain()
    assert not ok and "链尾" in message
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_no_change")


def test_background_jobs_audit_as_system_user(world):
    with audit.system_context():
        Unit.objects.create(name="系统创建", parent=world.root)
    entry = AuditEntry.objects.get(object_repr="系统创建")
    assert entry.actor.username == "system" and entry.via == "task"
