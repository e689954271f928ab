"""Core periodic jobs (registered in CoreConfig.periodic_jobs)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from core.audit import system_context, verify_chain
from core.tasking import task


@task()
def verify_audit_chain() -> str:
    """Nightly: verify the audit chain and alert the administrators if it is broken."""
    ok, count, message = verify_chain()
    if not ok:
        from core.models import User
        from core.notify import notify
        from core.roles import Role

        admins = User.objects.filter(person__roles__role=Role.SYSADMIN, is_active=True).distinct()
        with system_context():
            notify(list(admins), "审计日志校验失败", message, level="urgent", category="audit")
    return message


@task()
def prune_task_results(days: int = 30) -> int:
    """Weekly: drop finished background-task rows older than `days` (database backend only)."""
    from django.conf import settings

    if settings.YISHI_TASK_BACKEND != "database":
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


@task()
def heartbeat() -> str:
    """Every minute: proves scheduler → queue → worker is alive (shown on /healthz?verbose)."""
    return timezone.now().isoformat()


@task()
def requeue_stale_deliveries(grace_minutes: int = 10) -> int:
    """Every 5 minutes: re-queue notification deliveries a dead worker left open.

    A delivery is stale when it is still open and nothing happened to it for longer than the
    longest retry wait plus a grace period; `deliver` is idempotent, so a spare run is harmless.
    """
    from django.conf import settings
    from django.db.models import Max
    from django.db.models.functions import Coalesce

    from core.models import NotificationDelivery
    from core.notify import OPEN, deliver, retry_delay

    longest_wait = retry_delay(max(int(settings.YISHI_NOTIFY_MAX_ATTEMPTS), 1))
    cutoff = timezone.now() - longest_wait - datetime.timedelta(minutes=grace_minutes)
    stale = (
        NotificationDelivery.objects.filter(status__in=OPEN)
        .annotate(last_activity=Coalesce(Max("attempt_log__at"), "created_at"))
        .filter(last_activity__lt=cutoff)
        .values_list("pk", flat=True)[:500]
    )
    ids = list(stale)
    for delivery_id in ids:
        deliver.enqueue(delivery_id)
    return len(ids)
