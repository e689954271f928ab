"""Cron-like periodic jobs on top of the tasks framework.

Apps declare jobs on their AppConfig as `periodic_jobs = [PeriodicJob(...)]`. The scheduler process
(`manage.py scheduler`) wakes every few seconds, works out the latest slot each job was due, and
claims it by inserting a ScheduledRun row; the (job, slot) pair is unique, so when two schedulers run
only one wins the insert and enqueues the task. Missed slots are not replayed one by one: after an
outage the job runs once for the latest slot.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import ScheduledRun

logger = logging.getLogger("yishi.scheduler")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    cron: str  # five fields, in Asia/Shanghai time
    task: str  # dotted path of a @task function
    description: str = ""

    def latest_slot(self, now: datetime.datetime) -> datetime.datetime:
        local = timezone.localtime(now)
        # croniter's get_prev from "now + 1s" includes a slot that falls exactly on now.
        return croniter(self.cron, local + datetime.timedelta(seconds=1)).get_prev(datetime.datetime)


def registered_jobs() -> list[PeriodicJob]:
    jobs: list[PeriodicJob] = []
    for config in apps.get_app_configs():
        jobs.extend(getattr(config, "periodic_jobs", ()))
    return jobs


def scheduler_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(job: PeriodicJob, slot: datetime.datetime, owner: str) -> ScheduledRun | None:
    """Insert the claim row; None if another scheduler already holds this slot."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(job=job.name, slot=slot, claimed_by=owner)
    except IntegrityError:
        return None


def tick(
    now: datetime.datetime | None = None, owner: str | None = None, jobs: list[PeriodicJob] | None = None
) -> list[str]:
    """One scheduler pass. Returns the names of jobs this pass enqueued."""
    now = now or timezone.now()
    owner = owner or scheduler_id()
    enqueued: list[str] = []
    for job in registered_jobs() if jobs is None else jobs:
        slot = job.latest_slot(now)
        if ScheduledRun.objects.filter(job=job.name, slot=slot).exists():
            continue
        run = claim(job, slot, owner)
        if run is None:
            continue
        task_obj: Any = import_string(job.task)
        result = task_obj.enqueue()
        ScheduledRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))
        logger.info("scheduled %s for %s (task %s)", job.name, slot, result.id)
        enqueued.append(job.name)
    return enqueued


def run_forever(interval: float = 5.0, max_ticks: int | None = None) -> None:
    owner = scheduler_id()
    logger.info("scheduler %s started with %d jobs", owner, len(registered_jobs()))
    ticks = 0
    while max_ticks is None or ticks < max_ticks:
        try:
            tick(owner=owner)
        except Exception:  # a bad pass must not kill the scheduler; the next pass retries
            logger.exception("scheduler pass failed")
        ticks += 1
        time.sleep(interval)
