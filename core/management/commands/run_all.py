from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动整个系统：Web 服务、后台任务进程和定时调度器（make run 调用）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("YISHI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("YISHI_PORT", "8000")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("YISHI_WEB_THREADS", "8")))

    def handle(self, *args: Any, **options: Any) -> None:
        manage = os.path.join(settings.BASE_DIR, "manage.py")
        children = [
            subprocess.Popen([sys.executable, manage, "worker"]),
            subprocess.Popen([sys.executable, manage, "scheduler"]),
        ]

        def stop(*_: Any) -> None:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        url = f"http://{options['host']}:{options['port']}/"
        accounts = settings.VAR_DIR / "demo_accounts.txt"
        banner = ["", "=" * 60, f"意识 Yishi 已启动：{url}", f"后台任务：{settings.YISHI_TASK_BACKEND} 队列；调度器已启动"]
        if accounts.exists():
            banner += ["登录账户：", accounts.read_text().rstrip()]
        banner += ["按 Ctrl-C 停止", "=" * 60, ""]
        self.stdout.write("\n".join(banner))
        from waitress import serve

        from yishi.wsgi import application

        try:
            serve(application, host=options["host"], port=options["port"], threads=options["threads"], ident="yishi")
        except KeyboardInterrupt:
            pass
        finally:
            stop()
