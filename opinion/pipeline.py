"""The processing pipeline: ingest (store what arrived) and process (make sense of it).

    ingest(source, raw_items)   normalize, check, drop duplicate deliveries, INSERT at stage RECEIVED,
                                enqueue `process_items` on commit (alerts must follow within seconds)
    process_items(ids)          in ONE transaction per batch: exact and near-duplicate detection
                                (repost_of), keyword rules, sentiment, search tokens, events and heat,
                                stage → DONE, then the alerting hook

Crash safety: processing only picks items still at RECEIVED and writes everything of a batch in a
single transaction, so a worker killed mid-batch leaves those items at RECEIVED with nothing
half-written; `opinion.jobs.sweep_pending` enqueues them again. On PostgreSQL the batch's rows are
claimed with SELECT … FOR UPDATE SKIP LOCKED so two workers never process the same item; SQLite
serializes writers (IMMEDIATE transactions). Event figures are recomputed from items, never
incremented (see opinion.events).

Throughput: everything is per batch — a fixed number of queries and bulk statements per batch,
none per item.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from opinion.choices import RulePurpose, Stage
from opinion.models import Item, ItemBand, KeywordRule, RuleMatch, Source, SourceDayCount

logger = logging.getLogger("yishi.opinion")

BATCH_SIZE = 200
NEAR_DUP_WINDOW = datetime.timedelta(days=14)
FUTURE_SLACK = datetime.timedelta(minutes=10)
_IN_CHUNK = 900


class RawLike(Protocol):
    """What ingest needs of an item (yishi_text.opinion.feeds.RawItem has these)."""

    title: str
    body: str
    url: str
    published: datetime.datetime | None
    external_id: str


@dataclass
class IngestResult:
    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    ids: list[int] = field(default_factory=list)  # ids of the items stored (new and skipped)

    def add(self, other: IngestResult) -> None:
        self.new += other.new
        self.duplicates += other.duplicates
        self.skipped += other.skipped
        self.ids.extend(other.ids)


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- ingest -------------------------------------------------------------------------------------------


def _url_key(canonical: str) -> str:
    """The canonical URL, or its digest when too long for a B-tree index entry (PostgreSQL: ~2,700 bytes)."""
    if len(canonical.encode()) <= 1500:
        return canonical
    return "sha1:" + hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()


def _prepare(source: Source, raw: RawLike, now: datetime.datetime) -> Item:
    from yishi_text.opinion.normalize import (
        body_hash,
        canonical_url,
        check_item,
        normalize_text,
        normalize_title,
    )

    body = normalize_text(raw.body or "")
    title = normalize_title(raw.title or "")
    if not title and body:
        title = body.split("\n", 1)[0][:80]
    published = raw.published or now
    if timezone.is_naive(published):
        published = timezone.make_aware(published)
    if published > now + FUTURE_SLACK:
        published = now  # a clock in the future would pin the item to the top forever
    url = (raw.url or "").strip()[:2000]
    reason = check_item(title, body)
    return Item(
        source=source, external_id=str(raw.external_id or "").strip()[:300], url=url,
        canonical_url=_url_key(canonical_url(url)), title=title[:500], body=body, published_at=published,
        body_hash=body_hash(body or title), stage=Stage.SKIPPED if reason else Stage.RECEIVED,
        skip_reason=(reason or "")[:200],
    )


def _already_stored(source: Source, items: list[Item]) -> tuple[set[str], set[str]]:
    external_ids = sorted({item.external_id for item in items if item.external_id})
    urls = sorted({item.canonical_url for item in items if item.canonical_url})
    seen_ids: set[str] = set()
    seen_urls: set[str] = set()
    for chunk in _chunks(external_ids):
        seen_ids.update(Item.objects.filter(source=source, external_id__in=chunk).values_list("external_id", flat=True))
    for chunk in _chunks(urls):
        seen_urls.update(Item.objects.filter(canonical_url__in=chunk).values_list("canonical_url", flat=True))
    return seen_ids, seen_urls


def _store(source: Source, prepared: list[Item], enqueue: bool) -> IngestResult:
    result = IngestResult()
    with transaction.atomic():
        seen_ids, seen_urls = _already_stored(source, prepared)
        fresh: list[Item] = []
        for item in prepared:
            if (item.external_id and item.external_id in seen_ids) or (
                    item.canonical_url and item.canonical_url in seen_urls):
                result.duplicates += 1
                continue
            seen_ids.add(item.external_id)
            seen_urls.add(item.canonical_url)
            fresh.append(item)
        Item.objects.bulk_create(fresh, batch_size=500)
        result.ids = [item.pk for item in fresh]
        result.skipped = sum(1 for item in fresh if item.stage == Stage.SKIPPED)
        result.new = len(fresh) - result.skipped
        _count_day(source, result)
        to_process = [item.pk for item in fresh if item.stage == Stage.RECEIVED]
        if enqueue and to_process:
            from core.tasking import enqueue_on_commit
            from opinion.jobs import process_items as process_task

            for chunk in _chunks(to_process, BATCH_SIZE):
                enqueue_on_commit(process_task, list(chunk))
    return result


def _count_day(source: Source, result: IngestResult) -> None:
    if not (result.new or result.duplicates or result.skipped):
        return
    today = timezone.localdate()
    SourceDayCount.objects.get_or_create(source=source, date=today)
    SourceDayCount.objects.filter(source=source, date=today).update(
        new=F("new") + result.new, duplicates=F("duplicates") + result.duplicates, skipped=F("skipped") + result.skipped)
    if result.new:
        Source.objects.filter(pk=source.pk).update(items_total=F("items_total") + result.new)


def ingest(source: Source, raw_items: Iterable[RawLike], *, enqueue: bool = True) -> IngestResult:
    """Store what a source delivered, skipping (and counting) duplicates; processing is enqueued on commit.

    Duplicates are the same source delivering the same external id again, or an item whose canonical
    URL is already stored. Items failing the language/length checks are stored at stage SKIPPED with
    the reason (nothing that arrived is silently lost) and counted as skipped.
    """
    now = timezone.now()
    prepared = [_prepare(source, raw, now) for raw in raw_items]
    if not prepared:
        return IngestResult()
    try:
        return _store(source, prepared, enqueue)
    except IntegrityError:
        # A concurrent delivery of the same items won the unique constraint: look again.
        for item in prepared:
            item.pk = None
            item._state.adding = True
        return _store(source, prepared, enqueue)


# --- rules, cached per process ---------------------------------------------------------------------------

_rules_lock = threading.Lock()
_rules_cache: dict[str, Any] = {"key": None}


def current_rules() -> tuple[Any, dict[int, tuple[str, int]], bool]:
    """(RuleSet of the enabled rules, {rule id: (purpose, unit id)}, any relevance rule enabled).

    Compiled once per process and rebuilt when any rule changes: the key is the count and the
    latest update of all rules (an edit, a disable or a delete each change it).
    """
    from yishi_text.opinion.rules import RuleSet

    stats = KeywordRule.objects.aggregate(n=Count("id"), latest=Max("updated_at"), versions=Coalesce(Max("version"), 0))
    key = (stats["n"], stats["latest"], stats["versions"])
    with _rules_lock:
        if _rules_cache["key"] == key:
            return _rules_cache["ruleset"], _rules_cache["meta"], _rules_cache["has_relevance"]
    rows = list(KeywordRule.objects.filter(enabled=True).values_list("pk", "expression", "scope", "purpose", "unit_id"))
    ruleset = RuleSet((pk, expression, scope) for pk, expression, scope, _purpose, _unit in rows)
    meta = {pk: (purpose, unit) for pk, _expr, _scope, purpose, unit in rows if pk not in ruleset.errors}
    has_relevance = any(purpose == RulePurpose.RELEVANCE for purpose, _unit in meta.values())
    with _rules_lock:
        _rules_cache.update(key=key, ruleset=ruleset, meta=meta, has_relevance=has_relevance)
    return ruleset, meta, has_relevance


# --- processing ----------------------------------------------------------------------------------------------


@dataclass
class _Batch:
    items: list[Item]
    signatures: dict[int, np.ndarray] = field(default_factory=dict)
    bands: dict[int, list[int]] = field(default_factory=dict)
    matches: dict[int, dict[int, list[str]]] = field(default_factory=dict)
    original_events: dict[int, int | None] = field(default_factory=dict)


def _claim(ids: Sequence[int]) -> list[Item]:
    query = Item.objects.filter(pk__in=ids, stage=Stage.RECEIVED).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return list(query.only("pk", "source_id", "title", "body", "url", "canonical_url", "body_hash", "published_at",
                           "stage", "repost_of_id", "event_id", "sentiment_label"))


def _root(item_id: int, repost_of: int | None) -> int:
    return repost_of or item_id


def _find_duplicates(batch: _Batch) -> None:
    """repost_of for exact duplicates (canonical URL, body hash) then near-duplicates (MinHash LSH)."""
    from yishi_text.opinion.minhash import DUPLICATE_THRESHOLD, band_hashes, from_bytes, signature

    items = batch.items
    ids = {item.pk for item in items}
    for item in items:
        sig = signature(f"{item.title}\n{item.body}")
        batch.signatures[item.pk] = sig
        batch.bands[item.pk] = band_hashes(sig)
    # Stored originals (processed ones: their event is known) by body hash and canonical URL.
    by_hash: dict[str, tuple[int, int | None]] = {}
    by_url: dict[str, tuple[int, int | None]] = {}
    hashes = sorted({item.body_hash for item in items if item.body_hash})
    urls = sorted({item.canonical_url for item in items if item.canonical_url})
    for chunk in _chunks(hashes):
        for pk, key, repost_of in (Item.objects.filter(body_hash__in=chunk, stage=Stage.DONE).order_by("-pk")
                                   .values_list("pk", "body_hash", "repost_of_id")):
            by_hash[key] = (pk, repost_of)
    for chunk in _chunks(urls):
        for pk, key, repost_of in (Item.objects.filter(canonical_url__in=chunk, stage=Stage.DONE).order_by("-pk")
                                   .values_list("pk", "canonical_url", "repost_of_id")):
            by_url[key] = (pk, repost_of)
    # LSH candidates: stored band rows in the window sharing a (band, hash) with an item of the batch.
    earliest = min(item.published_at for item in items) - NEAR_DUP_WINDOW
    wanted = sorted({h for bands in batch.bands.values() for h in bands})
    stored_bands: dict[tuple[int, int], list[int]] = defaultdict(list)
    for chunk in _chunks(wanted, 5000):
        for band, value, item_id in ItemBand.objects.filter(hash__in=chunk, published_at__gte=earliest).values_list(
                "band", "hash", "item_id"):
            if item_id not in ids:
                stored_bands[(band, value)].append(item_id)
    candidate_ids = sorted({i for found in stored_bands.values() for i in found})
    stored: dict[int, tuple[np.ndarray, int | None]] = {}
    for chunk in _chunks(candidate_ids):
        for pk, blob, repost_of in Item.objects.filter(pk__in=chunk, stage=Stage.DONE).values_list(
                "pk", "minhash", "repost_of_id"):
            if blob:
                stored[pk] = (from_bytes(blob), repost_of)
    batch_bands: dict[tuple[int, int], list[int]] = defaultdict(list)
    in_batch: dict[int, Item] = {}
    for item in items:
        original, similarity = None, None
        exact = (by_url.get(item.canonical_url) if item.canonical_url else None) or by_hash.get(item.body_hash)
        if exact:
            original, similarity = _root(*exact), 1.0
        else:
            keys = list(enumerate(batch.bands[item.pk]))
            best = DUPLICATE_THRESHOLD
            sig = batch.signatures[item.pk]
            for pk in {c for key in keys for c in stored_bands.get(key, ())}:
                if pk in stored:
                    score = float(np.count_nonzero(stored[pk][0] == sig)) / sig.size
                    if score >= best:
                        best, original, similarity = score, _root(pk, stored[pk][1]), score
            for pk in {c for key in keys for c in batch_bands.get(key, ())}:
                other = in_batch[pk]
                score = float(np.count_nonzero(batch.signatures[pk] == sig)) / sig.size
                if score >= best:
                    best, original, similarity = score, _root(pk, other.repost_of_id), score
        item.repost_of_id, item.similarity = original, similarity
        in_batch[item.pk] = item
        # Later items of the batch see this one as a stored original.
        by_hash.setdefault(item.body_hash, (item.pk, item.repost_of_id))
        if item.canonical_url:
            by_url.setdefault(item.canonical_url, (item.pk, item.repost_of_id))
        for key in enumerate(batch.bands[item.pk]):
            batch_bands[key].append(item.pk)
        item.minhash = batch.signatures[item.pk].astype("<u4").tobytes()


def _match_rules(batch: _Batch) -> None:
    ruleset, meta, has_relevance = current_rules()
    for item in batch.items:
        found = {rule_id: terms for rule_id, terms in ruleset.match(item.title, item.body).items() if rule_id in meta}
        batch.matches[item.pk] = found
        item.relevant = (not has_relevance) or any(meta[r][0] == RulePurpose.RELEVANCE for r in found)


def _score_sentiment(items: list[Item]) -> None:
    try:
        from opinion import sentiment_service
    except ImportError:  # no sentiment service installed yet: items stay unscored
        sentiment_service = None
    if sentiment_service is None:
        for item in items:
            item.sentiment, item.sentiment_confidence, item.sentiment_model_version = "", None, None
        return
    results = sentiment_service.score_items(items)
    version = sentiment_service.active_version()
    for item, (label, confidence) in zip(items, results, strict=True):
        item.sentiment = label or ""
        item.sentiment_confidence = confidence
        item.sentiment_model_version = version if label else None


_BODY_TOKENS: OrderedDict[str, str] = OrderedDict()
_BODY_TOKENS_MAX = 5000


def _body_tokens(body_key: str, body: str) -> str:
    """Segmenting is the costliest step; reposts repeat their original's body (same body hash), and
    they mostly arrive within minutes of it, so the tokens of recent bodies are kept (LRU, per process)."""
    from yishi_text.opinion.segment import index_tokens

    cached = _BODY_TOKENS.get(body_key)
    if cached is not None:
        _BODY_TOKENS.move_to_end(body_key)
        return cached
    tokens = index_tokens(body)
    _BODY_TOKENS[body_key] = tokens
    if len(_BODY_TOKENS) > _BODY_TOKENS_MAX:
        _BODY_TOKENS.popitem(last=False)
    return tokens


def _index_text(items: list[Item]) -> None:
    from yishi_text.opinion.segment import index_tokens

    for item in items:
        body = _body_tokens(item.body_hash, item.body) if item.body and item.body_hash else ""
        item.search_text = f"{index_tokens(item.title)} {body}".strip()


def _original_events(batch: _Batch) -> None:
    wanted = sorted({item.repost_of_id for item in batch.items if item.repost_of_id} - {i.pk for i in batch.items})
    for chunk in _chunks(wanted):
        batch.original_events.update(Item.objects.filter(pk__in=chunk).values_list("pk", "event_id"))


_UPDATE_ITEM = ("UPDATE opinion_item SET stage = %s, repost_of_id = %s, similarity = %s, minhash = %s, relevant = %s, "
                "sentiment = %s, sentiment_confidence = %s, sentiment_model_version = %s, event_id = %s, search_text = %s "
                "WHERE id = %s")
_INSERT_BAND = "INSERT INTO opinion_itemband (band, hash, item_id, published_at) VALUES "
_BAND_ROWS_PER_STATEMENT = 200  # 800 parameters: under SQLite's oldest limit (999)


def _write(batch: _Batch) -> list[RuleMatch]:
    """The batch's writes. Plain executemany statements: the ORM's bulk_update builds a CASE per
    field and row and spent most of the batch's time there (6,400 band rows per batch, too)."""
    items = batch.items
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.executemany(_UPDATE_ITEM, [
            (item.stage, item.repost_of_id, item.similarity, item.minhash, item.relevant, item.sentiment,
             item.sentiment_confidence, item.sentiment_model_version, item.event_id, item.search_text, item.pk)
            for item in items])
        rows = []
        for item in items:
            published = ops.adapt_datetimefield_value(item.published_at)
            rows.extend((band, value, item.pk, published) for band, value in enumerate(batch.bands[item.pk]))
        # Multi-row INSERTs: 32 rows per item, one round trip per 200 rows instead of per row.
        for start in range(0, len(rows), _BAND_ROWS_PER_STATEMENT):
            chunk = rows[start:start + _BAND_ROWS_PER_STATEMENT]
            cursor.execute(_INSERT_BAND + ", ".join(["(%s, %s, %s, %s)"] * len(chunk)),
                           [value for row in chunk for value in row])
    matches = [RuleMatch(item_id=item.pk, rule_id=rule_id, terms=terms)
               for item in items for rule_id, terms in batch.matches[item.pk].items()]
    RuleMatch.objects.bulk_create(matches, batch_size=1000)
    originals = sorted({item.repost_of_id for item in items if item.repost_of_id})
    for chunk in _chunks(originals):
        count = Item.objects.filter(repost_of=OuterRef("pk")).order_by().values("repost_of").annotate(
            n=Count("id")).values("n")
        Item.objects.filter(pk__in=chunk).update(repost_count=Coalesce(Subquery(count), 0))
    return matches


def _alert(items: list[Item], matches: list[RuleMatch], events: list[Any]) -> None:
    """B2's alerting hook, in a savepoint: a failing rule must not stop the pipeline."""
    try:
        from opinion import alerting
    except ImportError:
        return
    try:
        with transaction.atomic():
            if hasattr(alerting, "evaluate_item_alerts"):
                alerting.evaluate_item_alerts(items, matches)
            if hasattr(alerting, "evaluate_event_alerts"):
                alerting.evaluate_event_alerts(events)
    except Exception:
        logger.exception("opinion alerting failed for items %s", [item.pk for item in items][:20])


def process_items(ids: Sequence[int]) -> int:
    """Process the given items (those still at RECEIVED); returns how many this call processed."""
    from opinion import events as event_logic

    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return 0
    with transaction.atomic():
        items = _claim(wanted)
        if not items:
            return 0
        batch = _Batch(items)
        _find_duplicates(batch)
        _match_rules(batch)
        _score_sentiment(items)
        _index_text(items)
        _original_events(batch)
        terms = {pk: {t for found in m.values() for t in found} for pk, m in batch.matches.items()}
        touched, created = event_logic.assign(items, batch.signatures, terms, batch.original_events)
        for item in items:
            item.stage = Stage.DONE
        matches = _write(batch)
        events = event_logic.refresh_events(touched, new_ids={event.pk for event in created})
        _alert(items, matches, events)
    return len(items)


def warm_up() -> None:
    """Load what processing needs that does not touch the database (jieba's dictionary and IDF table,
    numpy, the text modules). An RQ worker forks a fresh child per job: call this in the parent
    (e.g. from AppConfig.ready() when running `rqworker`) so children inherit it instead of
    re-loading it for every batch."""
    from yishi_text.opinion import minhash, rules, segment  # noqa: F401 - imported to be inherited

    segment.index_tokens("预热")
    segment.keywords(["预热"])
