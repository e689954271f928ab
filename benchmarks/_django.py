"""Set up Django inside a benchmark helper script (run as a subprocess with its own DATABASE_URL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yishi.settings")
    import django

    django.setup()
