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
none per item. Exact duplicates are settled before any near-duplicate lookup; near-duplicate
candidates are scored with numpy over the batch; stored signatures are cached per process; item
updates, band rows and rule matches go in as single statements over arrays (COPY for the band rows)
on PostgreSQL.
"""

from __future__ import annotations

import datetime
import hashlib
import json
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
from opinion.models import Item, KeywordRule, RuleMatch, Source, SourceDayCount

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
    outermost: bool = False  # the batch's transaction is not nested in a caller's (see _SIGNATURES)


def _claim(ids: Sequence[int]) -> list[Item]:
    query = Item.objects.filter(pk__in=ids, stage=Stage.RECEIVED).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return list(query.only("pk", "source_id", "title", "body", "url", "canonical_url", "body_hash", "published_at",
                           "stage", "repost_of_id", "event_id", "sentiment_label"))


def _root(item_id: int, repost_of: int | None) -> int:
    return repost_of or item_id


def _select_in(sql: str, array_type: str, values: Sequence[Any], extra: Sequence[Any] = (),
               size: int = _IN_CHUNK) -> list[tuple]:
    """Rows of a raw `SELECT … WHERE x {in} …` for `values` (bound first, then `extra`).

    The hot lookups of a batch pass thousands of values: the ORM's IN lookup prepares each value through
    the field and builds model-level SQL for every chunk, which cost more than the query itself.
    PostgreSQL gets one `= ANY(array)` parameter (psycopg parses a query with thousands of placeholders
    on every execute); others `IN (%s, …)` over chunks of `size`."""
    if not values:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql.format(**{"in": f"= ANY(%s::{array_type}[])"}), [list(values), *extra])
            return cursor.fetchall()
        rows: list[tuple] = []
        for chunk in _chunks(values, size):
            cursor.execute(sql.format(**{"in": "IN ({})".format(", ".join(["%s"] * len(chunk)))}), [*chunk, *extra])
            rows.extend(cursor.fetchall())
    return rows


def _exact_flags(items: list[Item], by_url: dict[str, Any], by_hash: dict[str, Any]) -> list[bool]:
    """Which items of the batch are exact duplicates, known before any near-duplicate work: a stored item
    or an earlier item of the batch has the same canonical URL or body hash (the same keys the main loop
    of `_find_duplicates` adds as it goes)."""
    urls, hashes = set(by_url), set(by_hash)
    flags = []
    for item in items:
        flags.append(bool(item.canonical_url and item.canonical_url in urls) or item.body_hash in hashes)
        hashes.add(item.body_hash)
        if item.canonical_url:
            urls.add(item.canonical_url)
    return flags


def _best_match(counts: np.ndarray, size: int) -> tuple[int, float] | None:
    """(position, score) of the candidate the one-by-one scan `if score >= best: take it` (best starting at
    DUPLICATE_THRESHOLD) ends on: the LAST candidate with the highest score, if that reaches the threshold."""
    from yishi_text.opinion.minhash import DUPLICATE_THRESHOLD

    if counts.size == 0:
        return None
    scores = counts / size  # the same float division as float(count) / size, element-wise
    best = scores.max()
    if best < DUPLICATE_THRESHOLD:
        return None
    return int(np.flatnonzero(scores == best)[-1]), float(best)


# MinHash signatures of processed items, by id, kept per process across batches: near-duplicate
# candidates are mostly the same recent items batch after batch, and fetching their signatures was
# the largest read of a batch. Safe to keep: an item's signature is written once, in the transaction
# that sets it DONE, and never changes; ids are never reused once committed. Only rows read back from
# the database at stage DONE are cached (never this batch's own), and only when the batch's transaction
# is the outermost one, so every row read was committed: inside an outer transaction (tests, a caller's
# atomic block) a rollback could undo them and SQLite would hand their ids out again. A deleted item
# loses its band rows, so it is never a candidate again. What may change — repost_of, set to NULL
# when an original is deleted — is not cached: it is read fresh for the candidates chosen.
_SIGNATURES: dict[int, bytes] = {}
_SIGNATURES_MAX = 50_000  # 512 bytes each: ~25 MB at most
_signatures_lock = threading.Lock()


def _signatures(candidate_ids: list[int], use_cache: bool) -> dict[int, bytes]:
    """{id: signature bytes} of the candidates that are processed and have a signature."""
    found: dict[int, bytes] = {}
    missing: list[int] = []
    for pk in candidate_ids:
        blob = _SIGNATURES.get(pk) if use_cache else None
        if blob is None:
            missing.append(pk)
        else:
            found[pk] = blob
    fetched = {pk: bytes(blob) for pk, blob in _select_in(
        "SELECT id, minhash FROM opinion_item WHERE id {in} AND stage = %s", "bigint", missing,
        [Stage.DONE.value])
        if blob}
    found.update(fetched)
    if use_cache and fetched:
        with _signatures_lock:  # worker threads share the cache
            _SIGNATURES.update(fetched)
            while len(_SIGNATURES) > _SIGNATURES_MAX:  # oldest first (insertion order)
                del _SIGNATURES[next(iter(_SIGNATURES))]
    return found


def _find_duplicates(batch: _Batch) -> None:
    """repost_of for exact duplicates (canonical URL, body hash) then near-duplicates (MinHash LSH).

    Per batch: two exact-key queries, one LSH band query and one signature query (chunked; the latter
    only for signatures not cached), and only for the items that are not exact duplicates (an exact
    duplicate never looks at LSH candidates). Candidates are scored with one vectorized comparison per
    item, in the same order and with the same tie-break as comparing them one by one.

    Two passes: the first picks each item's original (an exact key's stored row, a stored candidate
    or an earlier item of the batch) without needing anyone's root; the second resolves roots in id
    order once the chosen stored candidates' repost_of is read.
    """
    from yishi_text.opinion.minhash import band_hashes, signature, stack_bytes

    items = batch.items
    ids = {item.pk for item in items}
    for item in items:
        sig = signature(f"{item.title}\n{item.body}")
        batch.signatures[item.pk] = sig
        batch.bands[item.pk] = band_hashes(sig)
    # Stored originals (processed ones: their event is known) by body hash and canonical URL; rows come
    # newest first, so for a key seen twice the oldest item wins. Values: ("root", id, repost_of) for a
    # stored row, ("item", id) for an earlier item of this batch (its root is resolved in pass two).
    by_hash: dict[str, tuple] = {}
    by_url: dict[str, tuple] = {}
    hashes = sorted({item.body_hash for item in items if item.body_hash})
    urls = sorted({item.canonical_url for item in items if item.canonical_url})
    for pk, key, repost_of in _select_in(
            "SELECT id, body_hash, repost_of_id FROM opinion_item WHERE body_hash {in} AND stage = %s "
            "ORDER BY id DESC", "varchar", hashes, [Stage.DONE.value]):
        by_hash[key] = ("root", pk, repost_of)
    for pk, key, repost_of in _select_in(
            "SELECT id, canonical_url, repost_of_id FROM opinion_item WHERE canonical_url {in} AND stage = %s "
            "ORDER BY id DESC", "varchar", urls, [Stage.DONE.value]):
        by_url[key] = ("root", pk, repost_of)
    exact_flags = _exact_flags(items, by_url, by_hash)
    # LSH candidates: stored band rows in the window sharing a (band, hash) with a non-exact item.
    earliest = min(item.published_at for item in items) - NEAR_DUP_WINDOW
    wanted_keys = {key for item, exact in zip(items, exact_flags, strict=True) if not exact
                   for key in enumerate(batch.bands[item.pk])}
    stored_bands: dict[tuple[int, int], list[int]] = defaultdict(list)
    if wanted_keys:
        for band, value, item_id in _select_in(
                "SELECT band, hash, item_id FROM opinion_itemband WHERE hash {in} AND published_at >= %s", "bigint",
                sorted({value for _band, value in wanted_keys}), [connection.ops.adapt_datetimefield_value(earliest)],
                size=5000):
            if item_id not in ids and (band, value) in wanted_keys:
                stored_bands[(band, value)].append(item_id)
    stored = _signatures(sorted({i for found in stored_bands.values() for i in found}), batch.outermost)
    stored_pos = {pk: row for row, pk in enumerate(stored)}  # candidate id → its row in stored_sigs
    stored_ids = list(stored)
    stored_sigs = stack_bytes(list(stored.values()))
    batch_sigs = np.stack([batch.signatures[item.pk] for item in items])
    batch_pos = {item.pk: row for row, item in enumerate(items)}
    # Each band key's stored candidates as rows of stored_sigs: an item's candidates are the union of
    # its 32 keys' arrays, scored in one comparison.
    key_rows = {key: np.array([stored_pos[pk] for pk in found if pk in stored_pos], dtype=np.intp)
                for key, found in stored_bands.items()}
    seen = np.zeros(len(stored_ids), dtype=bool)
    batch_bands: dict[tuple[int, int], list[int]] = defaultdict(list)
    # Pass one: what each item is a duplicate of.
    chosen: dict[int, tuple] = {}
    for item in items:
        exact = (by_url.get(item.canonical_url) if item.canonical_url else None) or by_hash.get(item.body_hash)
        if exact:
            chosen[item.pk] = (*exact, 1.0)
        else:
            keys = list(enumerate(batch.bands[item.pk]))
            sig = batch.signatures[item.pk]
            rows = [key_rows[key] for key in keys if key in key_rows]
            if rows:  # the union of the keys' candidates (a mask: cheaper than np.unique's sort)
                seen[:] = False
                seen[np.concatenate(rows)] = True
                stored_c = np.flatnonzero(seen)
            else:
                stored_c = np.empty(0, dtype=np.intp)
            batch_c = list({c for key in keys for c in batch_bands.get(key, ())})
            batch_counts = np.count_nonzero(batch_sigs[[batch_pos[pk] for pk in batch_c]] == sig, axis=1)
            counts = np.concatenate((np.count_nonzero(stored_sigs[stored_c] == sig, axis=1), batch_counts))
            found = _best_match(counts, sig.size)
            if found is not None and np.count_nonzero(counts == counts[found[0]]) > 1:
                # A tie for the best score: the one-by-one scan kept the last of them in the order it
                # visited the candidates (set iteration order), stored ones first, then the batch's.
                stored_c = np.array([stored_pos[pk] for pk in {c for key in keys for c in stored_bands.get(key, ())}
                                     if pk in stored_pos], dtype=np.intp)
                counts = np.concatenate((np.count_nonzero(stored_sigs[stored_c] == sig, axis=1), batch_counts))
                found = _best_match(counts, sig.size)
            if found is not None:
                position, score = found
                if position < len(stored_c):
                    chosen[item.pk] = ("stored", stored_ids[stored_c[position]], score)
                else:
                    chosen[item.pk] = ("item", batch_c[position - len(stored_c)], score)
        # Later items of the batch see this one as a stored original.
        by_hash.setdefault(item.body_hash, ("item", item.pk))
        if item.canonical_url:
            by_url.setdefault(item.canonical_url, ("item", item.pk))
        for key in enumerate(batch.bands[item.pk]):
            batch_bands[key].append(item.pk)
    # Pass two: roots, in id order (an item only ever points at an earlier one of the batch).
    wanted = sorted({c[1] for c in chosen.values() if c[0] == "stored"})
    stored_repost_of = dict(_select_in("SELECT id, repost_of_id FROM opinion_item WHERE id {in}", "bigint", wanted))
    roots: dict[int, int] = {}
    for item in items:
        choice = chosen.get(item.pk)
        original, similarity = None, None
        if choice is not None:
            kind, pk, *rest = choice
            similarity = rest[-1]
            if kind == "root":
                original = _root(pk, rest[0])
            elif kind == "stored":
                original = _root(pk, stored_repost_of.get(pk))
            else:
                original = roots[pk]
        item.repost_of_id, item.similarity = original, similarity
        roots[item.pk] = _root(item.pk, original)
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
# PostgreSQL: the batch's item updates as one statement over arrays (executemany sends one statement
# per row, and psycopg's per-statement cost showed up as ~15 ms of CPU per batch).
_UPDATE_ITEM_PG = ("UPDATE opinion_item AS i SET stage = v.stage, repost_of_id = v.repost_of_id, similarity = v.similarity, "
                   "minhash = v.minhash, relevant = v.relevant, sentiment = v.sentiment, "
                   "sentiment_confidence = v.sentiment_confidence, sentiment_model_version = v.sentiment_model_version, "
                   "event_id = v.event_id, search_text = v.search_text "
                   "FROM UNNEST(%s::varchar[], %s::bigint[], %s::float8[], %s::bytea[], %s::boolean[], %s::varchar[], "
                   "%s::float8[], %s::integer[], %s::bigint[], %s::text[], %s::bigint[]) "
                   "AS v(stage, repost_of_id, similarity, minhash, relevant, sentiment, sentiment_confidence, "
                   "sentiment_model_version, event_id, search_text, id) WHERE i.id = v.id")
_INSERT_BAND = "INSERT INTO opinion_itemband (band, hash, item_id, published_at) VALUES "
_COPY_BAND = "COPY opinion_itemband (band, hash, item_id, published_at) FROM STDIN"
_BAND_ROWS_PER_STATEMENT = 200  # 800 parameters: under SQLite's oldest limit (999)
_INSERT_MATCH = "INSERT INTO opinion_rulematch (item_id, rule_id, terms) VALUES (%s, %s, %s)"
_INSERT_MATCH_PG = ("INSERT INTO opinion_rulematch (item_id, rule_id, terms) "
                    "SELECT i, r, t::jsonb FROM UNNEST(%s::bigint[], %s::bigint[], %s::text[]) AS u(i, r, t)")


def _insert_bands(cursor: Any, rows: list[tuple[int, int, int, Any]]) -> None:
    """The batch's band rows (32 per item). PostgreSQL with psycopg 3: one COPY, measured ~2× faster
    than multi-row INSERTs there; otherwise multi-row INSERTs, one round trip per 200 rows."""
    raw = getattr(cursor, "cursor", None)
    if connection.vendor == "postgresql" and hasattr(raw, "copy"):
        # COPY's text format written whole: psycopg's write_row cost ~4 µs per row (~25 ms a batch).
        # Every value is an integer or a timestamp's ISO form: nothing needs escaping.
        with raw.copy(_COPY_BAND) as copy:
            copy.write("".join([f"{band}\t{value}\t{pk}\t{published.isoformat()}\n"
                                for band, value, pk, published in rows]))
        return
    for start in range(0, len(rows), _BAND_ROWS_PER_STATEMENT):
        chunk = rows[start:start + _BAND_ROWS_PER_STATEMENT]
        cursor.execute(_INSERT_BAND + ", ".join(["(%s, %s, %s, %s)"] * len(chunk)),
                       [value for row in chunk for value in row])


def _insert_matches(cursor: Any, matches: list[tuple[int, int, list[str]]]) -> None:
    """RuleMatch rows (item id, rule id, terms). PostgreSQL: one statement over arrays, as the ORM's
    bulk_create does there (executemany is one statement per row); SQLite: one prepared executemany."""
    if not matches:
        return
    if connection.vendor == "postgresql":
        cursor.execute(_INSERT_MATCH_PG, [[m[0] for m in matches], [m[1] for m in matches],
                                          [json.dumps(m[2]) for m in matches]])
        return
    terms_field = RuleMatch._meta.get_field("terms")
    cursor.executemany(_INSERT_MATCH, [(item_id, rule_id, terms_field.get_db_prep_save(terms, connection))
                                       for item_id, rule_id, terms in matches])


def _write(batch: _Batch) -> None:
    """The batch's writes. Plain executemany statements: the ORM's bulk_update builds a CASE per
    field and row and spent most of the batch's time there (6,400 band rows per batch, too); rule
    matches go in without building a model instance per row."""
    items = batch.items
    ops = connection.ops
    values = [(item.stage, item.repost_of_id, item.similarity, item.minhash, item.relevant, item.sentiment,
               item.sentiment_confidence, item.sentiment_model_version, item.event_id, item.search_text, item.pk)
              for item in items]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_UPDATE_ITEM_PG, [list(column) for column in zip(*values, strict=True)])
        else:
            cursor.executemany(_UPDATE_ITEM, values)
        rows = []
        for item in items:
            published = ops.adapt_datetimefield_value(item.published_at)
            pk = item.pk
            rows.extend([(band, value, pk, published) for band, value in enumerate(batch.bands[pk])])
        _insert_bands(cursor, rows)
        _insert_matches(cursor, [(item.pk, rule_id, terms) for item in items
                                 for rule_id, terms in batch.matches[item.pk].items()])
    originals = sorted({item.repost_of_id for item in items if item.repost_of_id})
    for chunk in _chunks(originals):
        count = Item.objects.filter(repost_of=OuterRef("pk")).order_by().values("repost_of").annotate(
            n=Count("id")).values("n")
        Item.objects.filter(pk__in=chunk).update(repost_count=Coalesce(Subquery(count), 0))


def _alert(items: list[Item], matches: dict[int, dict[int, list[str]]], events: list[Any]) -> None:
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
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        items = _claim(wanted)
        if not items:
            return 0
        batch = _Batch(items, outermost=outermost)
        _find_duplicates(batch)
        _match_rules(batch)
        _score_sentiment(items)
        _index_text(items)
        _original_events(batch)
        terms = {pk: {t for found in m.values() for t in found} for pk, m in batch.matches.items()}
        touched, created = event_logic.assign(items, batch.signatures, terms, batch.original_events)
        for item in items:
            item.stage = Stage.DONE
        _write(batch)
        events = event_logic.refresh_events(touched, new_ids={event.pk for event in created})
        # {item id: {rule id: terms}}: alerting reads the matches from this as it did from RuleMatch rows.
        _alert(items, batch.matches, events)
    return len(items)


def warm_up() -> None:
    """Load what processing needs that does not touch the database (jieba's dictionary and IDF table,
    numpy, the text modules). Worker processes call it in a thread as they start (OpinionConfig.ready)."""
    from yishi_text.opinion import minhash, rules, segment  # noqa: F401 - imported to be inherited

    segment.index_tokens("预热")
    segment.keywords(["预热"])
