"""`python manage.py parse_plan PATH`: print a plan file as JSON (sections, items, obligations).

A dry run of plan import for offices and for debugging the reader: it touches no database.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yishi_text.plans import PlanReadError, parse_plan_file


class Command(BaseCommand):
    help = "解析工作要点文件（.txt/.docx），输出部分、条目和周期性义务的JSON（不读写数据库）"
    requires_system_checks: list[str] = []  # a pure text tool: no models, no database
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="工作要点文件路径（UTF-8/GB18030文本或.docx）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            plan = parse_plan_file(options["path"])
        except PlanReadError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))
