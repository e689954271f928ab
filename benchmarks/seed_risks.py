"""Seed a benchmark database with the demo organ, the demo risks and risks up to a total (50,000).

Usage: DATABASE_URL=... python benchmarks/seed_risks.py 50000
"""

from __future__ import annotations

import datetime
import random
import sys

import _django

_django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.audit import system_context  # noqa: E402
from core.models import User  # noqa: E402
from org.models import Person, Unit  # noqa: E402
from risks.choices import LEVEL_RANK, RiskStatus  # noqa: E402
from risks.demo import load_demo_risks  # noqa: E402
from risks.models import Risk, RiskDomain, RiskSettings  # noqa: E402


def main(total: int) -> None:
    call_command("load_demo", quiet=True)
    load_demo_risks(User.objects.get(username="admin"))
    units = list(Unit.objects.filter(kind__in=["section", "office", "affiliate", "leadership"]))
    people = {u.pk: list(Person.objects.filter(unit=u)) for u in units}
    domains = list(RiskDomain.objects.all())
    matrix = RiskSettings.current()
    rng = random.Random(11)
    statuses = [RiskStatus.CLOSED] * 5 + [RiskStatus.RECTIFYING] * 3 + [RiskStatus.OPEN, RiskStatus.PENDING_REVIEW]
    now = timezone.now()
    batch: list[Risk] = []
    have = Risk.objects.count()
    with system_context(via="command"):
        for i in range(have, total):
            unit = units[i % len(units)]
            likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
            level = matrix.level_for(likelihood, impact)
            status = rng.choice(statuses)
            created = now - datetime.timedelta(days=rng.randint(0, 720))  # closed_at only; see below
            owners = people[unit.pk]
            batch.append(Risk(
                unit=unit, owner=owners[i % len(owners)] if owners and i % 4 else None, title=f"批量风险隐患{i}",
                description="排查发现的风险隐患（基准数据）", domain=domains[i % len(domains)], source="screening",
                likelihood=likelihood, impact=impact, level=level, level_rank=LEVEL_RANK[level], status=status,
                deadline=datetime.date(2026, 1, 5) + datetime.timedelta(days=rng.randint(0, 400)),
                is_flagged=level == "major" and i % 50 == 0, created_at=created,
                closed_at=created + datetime.timedelta(days=rng.randint(5, 90)) if status == RiskStatus.CLOSED else None,
            ))
            if len(batch) == 5000:
                with transaction.atomic():
                    Risk.objects.bulk_create(batch)
                batch = []
        if batch:
            with transaction.atomic():
                Risk.objects.bulk_create(batch)
    # created_at is auto_now_add (bulk_create overwrites it): spread the rows over two years for the trend.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE risks_risk SET created_at = now() - (id %% 720) * interval '1 day' "
                       "WHERE title LIKE %s", ["批量风险隐患%"])
        cursor.execute("UPDATE risks_risk SET closed_at = created_at + (id %% 60 + 5) * interval '1 day' "
                       "WHERE title LIKE %s AND status = 'closed'", ["批量风险隐患%"])
    print(f"risks: {Risk.objects.count()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
