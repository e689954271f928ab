"""Background tasks of the opinion pipeline (django-tasks).

    fetch_due_sources   every minute: one fetch_source task per enabled, due rss/web/json source
    fetch_source(id)    fetch and ingest one source (ingest enqueues processing on commit)
    process_items(ids)  process one batch (opinion.pipeline.process_items)
    sweep_pending       every 2 minutes: items still RECEIVED after a minute go back on the queue —
                        this is how a worker killed mid-batch loses nothing

All run as the system user for the audit log.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from core.tasking import task

FETCHED_KINDS = ("rss", "web", "json")
SWEEP_AFTER_SECONDS = 60
SWEEP_LIMIT = 20_000


@task()
def process_items(ids: list[int]) -> int:
    from core.audit import system_context
    from opinion.pipeline import process_items as run

    with system_context():
        return run(ids)


@task()
def fetch_source(source_id: int) -> dict[str, Any]:
    from core.audit import system_context
    from opinion.models import Source
    from opinion.sources import fetch_and_ingest

    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return {"error": "信息源不存在"}
    with system_context():
        log = fetch_and_ingest(source)
    return {"ok": log.ok, "new": log.new, "duplicates": log.duplicates, "skipped": log.skipped, "error": log.error}


@task()
def fetch_due_sources() -> int:
    """Enqueue a fetch for each enabled source whose next fetch time has come (or was never set)."""
    from django.db.models import Q

    from opinion.models import Source

    now = timezone.now()
    due = list(Source.objects.filter(enabled=True, kind__in=FETCHED_KINDS)
               .filter(Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=now)).values_list("pk", "interval_minutes"))
    for source_id, interval in due:
        # Push the next time forward now, so the next minute's run does not enqueue it again
        # while this fetch is still waiting in the queue; the fetch sets the real value.
        Source.objects.filter(pk=source_id).update(next_fetch_at=now + datetime.timedelta(minutes=max(interval, 1)))
        fetch_source.enqueue(source_id)
    return len(due)


@task()
def sweep_pending(older_than_seconds: int = SWEEP_AFTER_SECONDS) -> int:
    """Re-enqueue items stuck at RECEIVED (their task died with a worker); events quiet down here too."""
    from opinion.choices import Stage
    from opinion.events import quiet_stale_events
    from opinion.models import Item
    from opinion.pipeline import BATCH_SIZE

    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(Item.objects.filter(stage=Stage.RECEIVED, received_at__lte=cutoff).order_by("pk")
               .values_list("pk", flat=True)[:SWEEP_LIMIT])
    for start in range(0, len(ids), BATCH_SIZE):
        process_items.enqueue(ids[start:start + BATCH_SIZE])
    quiet_stale_events()
    return len(ids)
