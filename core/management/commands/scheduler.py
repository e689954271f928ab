from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.scheduler import registered_jobs, run_forever


class Command(BaseCommand):
    help = "运行定时任务调度器（可同时运行多个，不会重复执行）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="检查间隔（秒）")
        parser.add_argument("--max-ticks", type=int, default=None, help="运行若干轮后退出（测试用）")
        parser.add_argument("--list", action="store_true", help="列出已登记的定时任务")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in registered_jobs():
                self.stdout.write(f"{job.name:32} {job.cron:16} {job.task}  {job.description}")
            return
        run_forever(interval=options["interval"], max_ticks=options["max_ticks"])
