from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "运行后台任务进程：数据库队列（默认）或 Redis 队列（YISHI_TASK_BACKEND=redis）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--burst", action="store_true", help="处理完现有任务后退出")

    def handle(self, *args: Any, **options: Any) -> None:
        manage = os.path.join(settings.BASE_DIR, "manage.py")
        queues = settings.TASK_QUEUES
        if settings.YISHI_TASK_BACKEND == "redis":
            # --with-scheduler releases jobs enqueued with run_after (notification retries).
            # SimpleWorker runs jobs in this process instead of forking a child per job: what the
            # process loaded (jieba's dictionary, the sentiment model, compiled keyword rules) stays
            # loaded, as in the database worker. A fork per job reloaded ~2–3 s of it per batch.
            argv = [sys.executable, manage, "rqworker", *queues, "--job-class", "django_tasks_rq.Job", "--with-scheduler",
                    "--worker-class", "rq.worker.SimpleWorker"]
            if options["burst"]:
                argv.append("--burst")
        else:
            argv = [sys.executable, manage, "db_worker", "--queue-name", ",".join(queues), "--interval", "0.5"]
            if options["burst"]:
                argv.append("--batch")
        # Replace this process so signals (Ctrl-C, SIGTERM from make run) reach the worker directly.
        os.execv(sys.executable, argv)
