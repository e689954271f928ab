"""Sentiment in the opinion app: the active model, scoring, analyst corrections, (re)training.

- `score(texts)` is what the pipeline calls; it uses the active `SentimentModelVersion`, loaded once
  per process and re-checked cheaply: a version number read at most every CHECK_SECONDS, sooner when
  the shared cache's generation key changes (activation bumps it, so with Redis every worker switches
  at once; with the per-process cache the periodic check does it).
- `do_label_item` records an analyst's correction (`Item.sentiment_label`), audited; the item's event
  sentiment counters follow the effective label (the analyst's label wins over the model's).
- `do_train_model` trains on the offline baseline data (yishi_text.opinion.datasets) plus the
  corrections, weighted up, stores a new version with its held-out figures, and activates it.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from core import audit
from core.models import AuditAction
from opinion.choices import Sentiment
from opinion.models import Event, Item, SentimentModelVersion
from yishi_text.opinion import datasets
from yishi_text.opinion.sentiment import SentimentModel, train

CHECK_SECONDS = 5.0
GENERATION_KEY = "opinion:sentiment:generation"
# An analyst's correction counts as this many baseline examples: a handful of corrections must be able
# to move the model on texts like theirs without swamping the ~30k baseline texts.
CORRECTION_WEIGHT = 20.0
# What the model sees of an item; the pipeline scores the same "title\nbody".
SCORED_TEXT = "{title}\n{body}"


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: int | None = None
        self.model: SentimentModel | None = None
        self.checked_at = float("-inf")
        self.generation: str | None = None


_cache = _Cache()


def _generation() -> str:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        value = cache.get(GENERATION_KEY) or ""
    return value


def invalidate_cache() -> None:
    """Make every process re-read the active version on its next score (the shared cache's key) and this
    one at once."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    _cache.checked_at = float("-inf")


def active_model() -> SentimentModel | None:
    """The active model (meta["version"] is its version number), or None when none was trained yet."""
    generation = _generation()
    with _cache.lock:
        if time.monotonic() - _cache.checked_at < CHECK_SECONDS and generation == _cache.generation:
            return _cache.model
        version = SentimentModelVersion.objects.filter(is_active=True).values_list("version", flat=True).first()
        if version != _cache.version:
            _cache.model = _load(version) if version is not None else None
            _cache.version = version
        _cache.checked_at = time.monotonic()
        _cache.generation = generation
        return _cache.model


def _load(version: int) -> SentimentModel | None:
    blob = SentimentModelVersion.objects.filter(version=version).values_list("blob", flat=True).first()
    if blob is None:
        return None
    model = SentimentModel.from_bytes(bytes(blob))
    model.meta["version"] = version
    return model


def active_version() -> int | None:
    model = active_model()
    return model.meta.get("version") if model else None


def score(texts: Sequence[str]) -> list[tuple[str, float | None]]:
    """(label, confidence) per text with the active model; ("", None) each when there is no model."""
    model = active_model()
    if model is None:
        return [("", None)] * len(texts)
    return list(model.predict(list(texts)))


def scored_text(item: Item) -> str:
    return SCORED_TEXT.format(title=item.title, body=item.body)


def score_items(items: Sequence[Item]) -> list[tuple[str, float | None]]:
    """(label, confidence) per item with the active model, headline and whole text weighed together
    (SentimentModel.predict_articles); ("", None) each when there is no model."""
    model = active_model()
    if model is None:
        return [("", None)] * len(items)
    return list(model.predict_articles([item.title for item in items], [scored_text(item) for item in items]))


# --- corrections ----------------------------------------------------------------------------------------


def _validate_label(label: str) -> str:
    label = (label or "").strip()
    if label and label not in Sentiment.values:
        raise ValidationError(f"情感标注“{label}”无效，应为：正面、中性或负面", code="invalid")
    return label


def do_label_item(item: Item, label: str, *, acting_user: Any) -> Item:
    """Set (or with "" clear) the analyst's sentiment label of an item; audited; event counters follow."""
    label = _validate_label(label)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        locked = Item.objects.select_for_update().get(pk=item.pk)
        before = locked.effective_sentiment
        old_label = locked.sentiment_label
        locked.sentiment_label = label
        locked.labelled_by = acting_user if label and getattr(acting_user, "pk", None) else None
        locked.labelled_at = timezone.now() if label else None
        locked.save(update_fields=["sentiment_label", "labelled_by", "labelled_at"])
        audit.record(AuditAction.UPDATE, obj=locked, changes={
            "sentiment_label": [old_label, label], "model_sentiment": locked.sentiment,
        })
        if locked.event_id and locked.effective_sentiment != before:
            recount_events([locked.event_id])
    for name in ("sentiment_label", "labelled_by_id", "labelled_at"):
        setattr(item, name, getattr(locked, name))
    return item


def _effective(code: str) -> Q:
    """An analyst's label wins over the model's (as opinion.events counts it)."""
    return Q(sentiment_label=code) | Q(sentiment_label="", sentiment=code)


def recount_events(event_ids: Iterable[int]) -> None:
    """Recompute the positive/neutral/negative counters of events from their items' effective labels."""
    ids = sorted(set(event_ids))
    counts = {
        row["event_id"]: row for row in Item.objects.filter(event_id__in=ids).values("event_id").annotate(
            pos=Count("id", filter=_effective("pos")), neu=Count("id", filter=_effective("neu")),
            neg=Count("id", filter=_effective("neg")))
    }
    for event_id in ids:
        row = counts.get(event_id, {"pos": 0, "neu": 0, "neg": 0})
        Event.objects.filter(pk=event_id).update(positive=row["pos"], neutral=row["neu"], negative=row["neg"])


def rescore_items(ids: Iterable[int]) -> int:
    """Score the given items again with the active model (e.g. after activating a new one); returns how many."""
    ids = sorted(set(ids))
    model = active_model()
    if model is None or not ids:
        return 0
    done = 0
    for start in range(0, len(ids), 500):
        with transaction.atomic():
            items = list(Item.objects.select_for_update().filter(pk__in=ids[start:start + 500]).order_by("pk"))
            results = model.predict_articles([item.title for item in items], [scored_text(item) for item in items])
            for item, (label, confidence) in zip(items, results, strict=True):
                item.sentiment, item.sentiment_confidence = label, confidence
                item.sentiment_model_version = model.meta.get("version")
            Item.objects.bulk_update(items, ["sentiment", "sentiment_confidence", "sentiment_model_version"])
            recount_events({item.event_id for item in items if item.event_id})
        done += len(items)
    return done


# --- training and activation ------------------------------------------------------------------------------


def corrections() -> list[tuple[str, str]]:
    """(scored text, label) of every item an analyst labelled."""
    rows = Item.objects.exclude(sentiment_label="").order_by("pk").values_list("title", "body", "sentiment_label")
    return [(SCORED_TEXT.format(title=t, body=b), label) for t, b, label in rows]


@functools.cache
def _dataset(per_stratum: int | None) -> datasets.Dataset:
    full = datasets.build()
    if per_stratum is None:
        return full
    return datasets.Dataset(train=datasets.subsample(full.train, per_stratum),
                            test=datasets.subsample(full.test, max(per_stratum // 4, 20)),
                            held_out_news=full.held_out_news[:max(per_stratum // 2, 50)])


def build_model(*, use_corrections: bool, per_stratum: int | None = None) -> tuple[SentimentModel, dict, dict]:
    """Train (no database writes): (model, trained_on, metrics). `per_stratum` trains on a subset (tests)."""
    data = _dataset(per_stratum)
    texts = [e.text for e in data.train]
    labels = [e.label for e in data.train]
    weights = [1.0] * len(texts)
    fixes = corrections() if use_corrections else []
    texts += [t for t, _ in fixes]
    labels += [label for _, label in fixes]
    weights += [CORRECTION_WEIGHT] * len(fixes)
    model = train(texts, labels, sample_weights=weights)
    trained_on = {**data.counts()["train"], "corrections": len(fixes), "correction_weight": CORRECTION_WEIGHT,
                  "subset_per_stratum": per_stratum}
    return model, trained_on, datasets.report(model, data)


def do_train_model(*, acting_user: Any, use_corrections: bool = True, activate: bool = True,
                   per_stratum: int | None = None) -> SentimentModelVersion:
    """Train a new version (baseline data + analyst corrections), store it and optionally activate it."""
    model, trained_on, metrics = build_model(use_corrections=use_corrections, per_stratum=per_stratum)
    blob = model.to_bytes()  # trained outside the transaction: it takes seconds
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            number = (SentimentModelVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
            row = SentimentModelVersion.objects.create(
                version=number, created_by=acting_user if getattr(acting_user, "pk", None) else None,
                trained_on=trained_on, metrics=metrics, blob=blob,
            )
            if activate:
                _activate(row)
    except IntegrityError as exc:
        raise ValidationError("另一次训练同时完成，版本号冲突，请重新训练", code="conflict") from exc
    if activate:
        invalidate_cache()
    return row


def _activate(row: SentimentModelVersion) -> None:
    # Deactivate first: the partial unique constraint allows one active row at any moment.
    for current in SentimentModelVersion.objects.select_for_update().filter(is_active=True).exclude(pk=row.pk):
        current.is_active = False
        current.save(update_fields=["is_active"])
    if not row.is_active:
        row.is_active = True
        row.save(update_fields=["is_active"])


def do_activate_model(version: int | SentimentModelVersion, *, acting_user: Any) -> SentimentModelVersion:
    """Make a stored version the one the pipeline scores with."""
    number = version.version if isinstance(version, SentimentModelVersion) else int(version)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        row = SentimentModelVersion.objects.select_for_update().filter(version=number).first()
        if row is None:
            raise ValidationError(f"情感模型版本 v{number} 不存在", code="not_found")
        _activate(row)
    invalidate_cache()
    return row


def ensure_baseline_model(*, per_stratum: int | None = None) -> SentimentModelVersion:
    """The active model; trains and activates the baseline (as the system user) when none exists yet."""
    existing = SentimentModelVersion.objects.filter(is_active=True).first()
    if existing is not None:
        return existing
    latest = SentimentModelVersion.objects.order_by("-version").first()
    with audit.system_context(via="command"):
        system = audit.system_user()
        if latest is not None:
            return do_activate_model(latest, acting_user=system)
        return do_train_model(acting_user=system, use_corrections=False, per_stratum=per_stratum)
