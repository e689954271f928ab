"""Seed a benchmark database: the demo organ plus people up to a total (default 2,000).

Usage: DATABASE_URL=... python benchmarks/seed_org.py 2000
"""

from __future__ import annotations

import sys

import _django

_django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from core.audit import system_context  # noqa: E402
from org.models import Person, Unit  # noqa: E402

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华文"


def main(total: int) -> None:
    call_command("load_demo", quiet=True)
    have = Person.objects.count()
    units = list(Unit.objects.filter(kind__in=["section", "affiliate", "office"]))
    people = []
    for i in range(have, total):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)] + GIVEN[i % len(GIVEN)]
        people.append(Person(name=name, unit=units[i % len(units)], title="科员", employee_no=f"B{i:06d}"))
    with transaction.atomic(), system_context(via="command"):
        # Bench data is bulk-loaded: the per-row audit of the normal write path is not what is measured.
        Person.objects.bulk_create(people, batch_size=500)
    print(f"people: {Person.objects.count()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
