"""Print the SQL query count of each benchmarked page as JSON: {"/": n, "/org/people/": m}."""

from __future__ import annotations

import json
import os
import sys

import _django

# Count the queries of a page computed in full: with core.caching on, a repeat view is served from
# the cache and says nothing about whether the page's work grows with its rows.
os.environ["YISHI_OVERVIEW_CACHE_SECONDS"] = "0"

_django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.models import User  # noqa: E402


def main(username: str, paths: list[str]) -> None:
    client = Client()
    client.force_login(User.objects.get(username=username))
    counts = {}
    for path in paths:
        client.get(path)  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[path] = len(ctx.captured_queries)
    print(json.dumps(counts))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
