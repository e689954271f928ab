from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "公共"

    @property
    def periodic_jobs(self) -> list:
        from core.scheduler import PeriodicJob

        return [
            PeriodicJob("core.heartbeat", "* * * * *", "core.jobs.heartbeat", "调度与后台任务心跳"),
            PeriodicJob("core.verify_audit", "30 2 * * *", "core.jobs.verify_audit_chain", "每日校验审计链"),
            PeriodicJob("core.requeue_deliveries", "*/5 * * * *", "core.jobs.requeue_stale_deliveries", "重新投递滞留的通知"),
            PeriodicJob("core.prune_tasks", "0 3 * * 0", "core.jobs.prune_task_results", "每周清理已完成的后台任务记录"),
        ]

    def ready(self) -> None:
        from core import signals, workdays  # noqa: F401 - connect receivers (audit, calendar cache)
