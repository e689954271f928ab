from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn，多进程多线程；make run 和基准测试都用它）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("YISHI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("YISHI_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("YISHI_WEB_WORKERS", "0")) or None)
        parser.add_argument("--threads", type=int, default=int(os.environ.get("YISHI_WEB_THREADS", "4")))

    def handle(self, *args: Any, **options: Any) -> None:
        # Several processes, because one Python process serves on one core at a time (the GIL).
        workers = options["workers"] or max(2, os.cpu_count() or 2)
        argv = [
            sys.executable, "-m", "gunicorn", "yishi.wsgi:application",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(workers), "--threads", str(options["threads"]),
            "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "20",
            "--max-requests", "5000", "--max-requests-jitter", "500",
            "--log-level", "warning",
        ]
        os.execv(sys.executable, argv)
