"""_find_duplicates (batched lookups, vectorized scoring, signature cache) decides exactly what the
one-candidate-at-a-time algorithm it replaced decided: same originals, same similarities, same
tie-breaks — checked against that algorithm, kept here as the reference, on People's Daily text."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

import numpy as np
import pytest
from django.utils import timezone

from opinion import pipeline
from opinion.choices import Stage
from opinion.models import Item, ItemBand
from opinion.pipeline import NEAR_DUP_WINDOW, ingest, process_items
from opinion.tests.pipeline_helpers import Raw, make_source, repost
from yishi_text.opinion.minhash import DUPLICATE_THRESHOLD, band_hashes, from_bytes, signature
from yishi_text.opinion.tests.people_daily import articles


def _reference(ids: list[int]) -> dict[int, tuple[int | None, float | None]]:
    """The previous implementation (ORM lookups, one np.count_nonzero per candidate), without writes."""
    items = list(Item.objects.filter(pk__in=ids, stage=Stage.RECEIVED).order_by("pk"))
    in_ids = {item.pk for item in items}
    sigs = {item.pk: signature(f"{item.title}\n{item.body}") for item in items}
    bands = {pk: band_hashes(sig) for pk, sig in sigs.items()}
    by_hash: dict = {}
    by_url: dict = {}
    for pk, key, repost_of in (Item.objects.filter(body_hash__in={i.body_hash for i in items}, stage=Stage.DONE)
                               .order_by("-pk").values_list("pk", "body_hash", "repost_of_id")):
        by_hash[key] = (pk, repost_of)
    urls = {i.canonical_url for i in items if i.canonical_url}
    for pk, key, repost_of in (Item.objects.filter(canonical_url__in=urls, stage=Stage.DONE)
                               .order_by("-pk").values_list("pk", "canonical_url", "repost_of_id")):
        by_url[key] = (pk, repost_of)
    earliest = min(item.published_at for item in items) - NEAR_DUP_WINDOW
    wanted = {h for b in bands.values() for h in b}
    stored_bands: dict = defaultdict(list)
    for band, value, item_id in ItemBand.objects.filter(hash__in=wanted, published_at__gte=earliest).values_list(
            "band", "hash", "item_id"):
        if item_id not in in_ids:
            stored_bands[(band, value)].append(item_id)
    stored = {pk: (from_bytes(blob), repost_of) for pk, blob, repost_of in Item.objects.filter(
        pk__in={i for found in stored_bands.values() for i in found}, stage=Stage.DONE).values_list(
        "pk", "minhash", "repost_of_id") if blob}
    batch_bands: dict = defaultdict(list)
    in_batch: dict = {}
    result: dict[int, tuple[int | None, float | None]] = {}
    for item in items:
        original, similarity = None, None
        exact = (by_url.get(item.canonical_url) if item.canonical_url else None) or by_hash.get(item.body_hash)
        if exact:
            original, similarity = exact[1] or exact[0], 1.0
        else:
            keys = list(enumerate(bands[item.pk]))
            best, sig = DUPLICATE_THRESHOLD, sigs[item.pk]
            for pk in {c for key in keys for c in stored_bands.get(key, ())}:
                if pk in stored:
                    score = float(np.count_nonzero(stored[pk][0] == sig)) / sig.size
                    if score >= best:
                        best, original, similarity = score, stored[pk][1] or pk, score
            for pk in {c for key in keys for c in batch_bands.get(key, ())}:
                score = float(np.count_nonzero(sigs[pk] == sig)) / sig.size
                if score >= best:
                    best, original, similarity = score, in_batch[pk] or pk, score
        result[item.pk] = (original, similarity)
        in_batch[item.pk] = original
        by_hash.setdefault(item.body_hash, (item.pk, original))
        if item.canonical_url:
            by_url.setdefault(item.canonical_url, (item.pk, original))
        for key in enumerate(bands[item.pk]):
            batch_bands[key].append(item.pk)
    return result


def _variant(rng: random.Random, sentences: list[str], keep: float) -> str:
    """Most sentences kept, some dropped or swapped for another article's: Jaccard from ~0.3 to 1."""
    out = [s for s in sentences if rng.random() < keep]
    return "。".join(out or sentences[:1]) + rng.choice(("记者将持续关注。", "", "（完）", "编辑：李某。"))


def _check(source, raws: list[Raw]) -> dict[int, tuple[int | None, float | None]]:
    ids = ingest(source, raws, enqueue=False).ids
    expected = _reference(ids)
    process_items(ids)
    got = {pk: (repost_of, similarity) for pk, repost_of, similarity in
           Item.objects.filter(pk__in=ids).values_list("pk", "repost_of_id", "similarity")}
    assert got == expected
    return got


def _scenario() -> None:
    rng = random.Random(20240501)
    source = make_source()
    stories = ["。".join(article).split("。") for article in articles()[:60]]
    now = timezone.now()
    # Two items with the same signature (title and body run together) but different bodies, kept
    # apart by the near-duplicate window so both are originals: a later item ties between them.
    twin = "。".join(stories[0])
    _check(source, [Raw("孪生稿件", twin, "http://t.example.cn/a", now - datetime.timedelta(days=20), "t1")])
    _check(source, [Raw("孪生", "稿件" + twin, "http://t.example.cn/b", now, "t2")])
    for n, days in enumerate((19, 18, 17, 16)):
        found = _check(source, [Raw("孪生稿件", twin + "又及" * (n + 1), f"http://t.example.cn/c{n}",
                                    now - datetime.timedelta(days=days), f"t3{n}")])
        assert next(iter(found.values()))[0] is not None  # it matched one of the twins
    batch_no = 0
    for round_ in range(3):
        raws = []
        for n, sentences in enumerate(stories[1:]):
            title = f"第{n}号稿件"
            choice = rng.random()
            if round_ == 0 or choice < 0.3:
                body = _variant(rng, sentences, 0.9 if round_ else 1.0)
            elif choice < 0.45:
                body = repost("。".join(sentences))  # an exact duplicate once normalized
            elif choice < 0.55:
                raws.append(Raw(title, "。".join(sentences), f"http://s.example.cn/{n}", now, f"u{round_}-{n}"))
                continue  # an earlier URL: exact by canonical URL
            else:
                body = _variant(rng, sentences + stories[rng.randrange(1, 60)][:3], rng.choice((0.5, 0.7, 0.85)))
            raws.append(Raw(title, body, f"http://s.example.cn/{n}?r={round_}" if round_ else
                            f"http://s.example.cn/{n}", now - datetime.timedelta(minutes=rng.randrange(600)),
                            f"r{round_}-{n}"))
        rng.shuffle(raws)
        for start in range(0, len(raws), 40):
            batch_no += 1
            _check(source, raws[start:start + 40])
    reposts = Item.objects.exclude(repost_of=None)
    assert reposts.filter(similarity=1.0).exists() and reposts.filter(similarity__lt=1.0).exists()
    assert Item.objects.filter(repost_of=None, stage=Stage.DONE).count() >= 60


@pytest.mark.django_db
def test_same_decisions_as_the_one_by_one_scan(world):
    _scenario()


@pytest.mark.django_db(transaction=True)
def test_same_decisions_with_the_signature_cache(world):
    """Committed batches (no outer transaction): stored signatures come from the per-process cache."""
    pipeline._SIGNATURES.clear()
    try:
        _scenario()
        assert pipeline._SIGNATURES  # the cache was used
    finally:
        pipeline._SIGNATURES.clear()


def test_best_match_is_the_last_highest_at_or_above_the_threshold():
    rng = random.Random(3)
    for _ in range(2000):
        counts = np.array([rng.choice((0, 30, 63, 64, 65, 90, 128)) for _ in range(rng.randrange(0, 8))])
        best, expected = DUPLICATE_THRESHOLD, None
        for position, count in enumerate(counts):
            score = float(count) / 128
            if score >= best:
                best, expected = score, (position, score)
        assert pipeline._best_match(counts, 128) == expected
