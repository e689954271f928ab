from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动整个系统：Web 服务、后台任务进程和定时调度器（make run 调用）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("YISHI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("YISHI_PORT", "8000")))

    def handle(self, *args: Any, **options: Any) -> None:
        manage = os.path.join(settings.BASE_DIR, "manage.py")
        host, port = options["host"], str(options["port"])
        children = {
            "web": subprocess.Popen([sys.executable, manage, "serve_web", "--host", host, "--port", port]),
            "worker": subprocess.Popen([sys.executable, manage, "worker"]),
            "scheduler": subprocess.Popen([sys.executable, manage, "scheduler"]),
        }

        def stop(*_: Any) -> None:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        url = f"http://{host}:{port}/"
        accounts = settings.VAR_DIR / "demo_accounts.txt"
        banner = ["", "=" * 60, f"意识 Yishi 已启动：{url}",
                  f"Web + 后台任务（{settings.YISHI_TASK_BACKEND} 队列）+ 定时调度器"]
        if accounts.exists():
            banner += ["登录账户：", accounts.read_text().rstrip()]
        banner += ["按 Ctrl-C 停止", "=" * 60, ""]
        self.stdout.write("\n".join(banner))
        try:
            while True:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} 进程已退出（{child.returncode}），正在停止整个系统")
                        raise SystemExit(1)
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
