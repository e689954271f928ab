"""Claims of scheduled slots. A (job, slot) pair is unique, so two schedulers never both run it."""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    job = models.CharField("任务", max_length=100)
    slot = models.DateTimeField("计划时间")
    claimed_by = models.CharField("调度进程", max_length=100)
    claimed_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "定时任务运行"
        ordering = ["-slot"]
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduledrun_once_per_slot")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"
