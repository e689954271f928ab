"""Background work through Django's tasks framework.

Django 6 ships the framework as `django.tasks`; on Django 5.2 the `django-tasks` backport provides
the same API. Import `task` and friends from here so the switch is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

try:  # Django >= 6.0
    from django.tasks import TaskResultStatus, default_task_backend, task  # type: ignore[import-not-found]
except ImportError:  # Django 5.2 with the backport
    from django_tasks import TaskResultStatus, default_task_backend, task  # type: ignore[no-redef]

__all__ = ["TaskResultStatus", "default_task_backend", "enqueue_on_commit", "queue_health", "task"]


def enqueue_on_commit(task_obj: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue once the surrounding transaction commits, so a worker never sees a half-written row."""
    transaction.on_commit(lambda: task_obj.enqueue(*args, **kwargs))


def queue_health() -> str:
    """'ok' when the configured queue answers."""
    try:
        if settings.YISHI_TASK_BACKEND == "redis":
            import django_rq

            django_rq.get_connection("default").ping()
        elif settings.YISHI_TASK_BACKEND == "database":
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.exists()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"error: {exc.__class__.__name__}"


def run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a task's function in-process (for commands and tests that want the work done now)."""
    return getattr(func, "func", func)(*args, **kwargs)
