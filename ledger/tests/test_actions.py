"""The ledger's write path: raising tasks, progress with evidence, confirmation, locking, lights."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.files import store_upload
from core.models import AuditAction, AuditEntry
from ledger import actions
from ledger.choices import Light, TaskStatus
from ledger.models import Task

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = datetime.date(2026, 9, 21)  # a Monday


@pytest.fixture
def task(world):
    return actions.create_task(unit=world.unit_a, title="开展意识形态风险日常排查（2026年9月）",
                               due_date=datetime.date(2026, 9, 30), acting_user=world.head_a, target_count=2)


@pytest.fixture
def evidence(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return store_upload(SimpleUploadedFile("纪要.pdf", PDF), unit=world.unit_a, user=world.staff_a)


def test_create_task_is_audited_and_scoped(world, task):
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="ledger.task", object_id=str(task.pk),
                                     actor=world.head_a).exists()
    with pytest.raises(PermissionDenied):
        actions.create_task(unit=world.unit_b, title="越权交办", due_date=TODAY, acting_user=world.head_a)
    with pytest.raises(ValidationError):
        actions.create_task(unit=world.unit_a, title="  ", due_date=TODAY, acting_user=world.head_a)


def test_progress_then_completion_then_confirmation(world, task, evidence):
    actions.report_progress(task, text="已完成第一次排查", increment=1, acting_user=world.staff_a,
                            expected_version=task.version)
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.done_count == 1
    with pytest.raises(ValidationError, match="佐证材料"):
        actions.report_progress(task, text="申请办结", request_completion=True, acting_user=world.staff_a)
    actions.report_progress(task, text="第二次排查完成，申请办结", increment=1, files=[evidence],
                            request_completion=True, acting_user=world.staff_a)
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING_REVIEW and task.done_count == 2
    with pytest.raises(PermissionDenied):
        actions.confirm_completion(task, acting_user=world.staff_a)  # staff cannot confirm their own work
    actions.confirm_completion(task, acting_user=world.head_a, expected_version=task.version)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.confirmed_by == world.head_a
    assert list(task.reports.first().task.reports.values_list("kind", flat=True)) == ["confirm", "completion", "progress"]


def test_return_needs_a_reason(world, task, evidence):
    actions.report_progress(task, text="申请办结", files=[evidence], request_completion=True, acting_user=world.staff_a)
    task.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.return_task(task, acting_user=world.head_a, comment="")
    actions.return_task(task, acting_user=world.head_a, comment="纪要缺少签字")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS


def test_other_unit_cannot_report_or_confirm(world, task):
    with pytest.raises(PermissionDenied):
        actions.report_progress(task, text="越权", acting_user=world.staff_b)
    with pytest.raises(PermissionDenied):
        actions.confirm_completion(task, acting_user=world.head_b)


def test_concurrent_edit_is_refused_not_lost(world, task):
    stale_version = task.version
    actions.update_task(task, acting_user=world.head_a, expected_version=stale_version, title="改名一")
    with pytest.raises(actions.ConflictError, match="已被他人修改"):
        actions.update_task(task, acting_user=world.leader_a, expected_version=stale_version, title="改名二")
    assert Task.objects.get(pk=task.pk).title == "改名一"


def test_lights_follow_working_days(world):
    def make(due, status=TaskStatus.NOT_STARTED):
        t = actions.create_task(unit=world.unit_a, title="t", due_date=due, acting_user=world.admin)
        Task.objects.filter(pk=t.pk).update(status=status)
        t.refresh_from_db()
        return t

    # 2026-09-21 (Mon): 3 working days ahead is Thursday 09-24.
    tasks = [make(datetime.date(2026, 9, 18)), make(datetime.date(2026, 9, 24)), make(datetime.date(2026, 9, 25)),
             make(datetime.date(2026, 9, 1), TaskStatus.DONE)]
    lights = [t.light for t in actions.annotate_lights(tasks, today=TODAY)]
    assert lights == [Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN]
    for light in (Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN):
        ids = set(Task.objects.filter(actions.light_filter(light, TODAY)).values_list("pk", flat=True))
        assert ids == {t.pk for t, lt in zip(tasks, lights, strict=True) if lt == light}
