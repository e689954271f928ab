"""Background work with a real worker process, and the scheduler's no-double-run guarantee."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from core.jobs import heartbeat
from core.models import ScheduledRun
from core.scheduler import PeriodicJob, tick
from core.tasking import TaskResultStatus
from core.testing import BASE_DIR, redis_available, running_worker, wait_until, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES},
    "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES},
}


@pytest.fixture(params=["database", "redis"])
def backend(request):
    if request.param == "redis" and not redis_available():
        pytest.skip("Redis 不可用")
    with override_settings(YISHI_TASK_BACKEND=request.param, TASKS={"default": BACKENDS[request.param]}):
        yield request.param


def test_real_worker_runs_an_enqueued_task(backend):
    result = heartbeat.enqueue()
    with running_worker(backend):
        def done():
            result.refresh()
            return result.status == TaskResultStatus.SUCCESSFUL

        wait_until(done, timeout=60)
    assert result.return_value.startswith(str(timezone.localdate().year)) or result.return_value


def test_scheduler_claims_each_slot_once():
    job = PeriodicJob("test.beat", "*/5 * * * *", "core.jobs.heartbeat")
    now = timezone.now()
    assert tick(now=now, owner="a", jobs=[job]) == ["test.beat"]
    assert tick(now=now, owner="b", jobs=[job]) == []
    assert tick(now=now + datetime.timedelta(minutes=5), owner="b", jobs=[job]) == ["test.beat"]
    assert ScheduledRun.objects.filter(job="test.beat").count() == 2


def test_two_scheduler_processes_never_double_run():
    """Two real scheduler processes racing over the same minute enqueue the heartbeat once."""
    env = worker_env()
    cmd = [sys.executable, str(BASE_DIR / "manage.py"), "scheduler", "--interval", "0.05", "--max-ticks", "40"]
    procs = [subprocess.Popen(cmd, env=env, cwd=BASE_DIR) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    runs = list(ScheduledRun.objects.filter(job="core.heartbeat").values_list("slot", "claimed_by"))
    slots = [slot for slot, _ in runs]
    assert runs, "the scheduler claimed nothing"
    assert len(slots) == len(set(slots)), f"a slot ran twice: {runs}"
