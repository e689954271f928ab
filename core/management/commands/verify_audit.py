from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from core.audit import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链是否完整（被改动或删除的记录会被指出）"

    def handle(self, *args: Any, **options: Any) -> None:
        ok, count, message = verify_chain()
        if ok:
            self.stdout.write(self.style.SUCCESS(message))
            return
        self.stderr.write(self.style.ERROR(f"审计链校验失败：{message}（已校验 {count} 条）"))
        sys.exit(1)
