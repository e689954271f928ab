"""Clustering items into events (事件) and keeping each event's figures.

Assignment, for each relevant item of a batch (in id order):
1. a repost joins the event of its original;
2. otherwise it joins an active event seen within the last 72 hours whose title is similar —
   character-bigram Jaccard of the titles ≥ 0.35 — or which shares a keyword-rule term with the
   item and whose lead item's MinHash estimates a body Jaccard ≥ 0.2 (a follow-up story that
   reuses the facts under a new headline);
3. else the item starts a new event and leads it.

Figures are never incremented: `refresh_events` recomputes counts, sources, sentiment mix,
growth and heat from the event's items inside the processing transaction, after locking the
event rows. A re-run after a crash therefore cannot double count, and two workers updating the
same event serialize on its row lock.

Heat (yishi_text.opinion.heat.heat_index) combines volume, reposts, the summed weight of the
distinct sources and the growth rate of the last hour over the hour before.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from opinion.choices import EventStatus
from opinion.models import Event, EventHeat, Item, RuleMatch, Source

WINDOW = datetime.timedelta(hours=72)
TITLE_JACCARD = 0.35
BODY_JACCARD = 0.2
MAX_CANDIDATES = 5000
# Keywords (jieba TF-IDF, ~2 ms a call) are computed when an event is created and recomputed when it
# reaches one of these sizes: enough to follow a story's vocabulary without paying on every item.
KEYWORD_SIZES = frozenset({3, 10, 30, 100, 300, 1000, 3000, 10000})
LEAD_BODY_CHARS = 200


def title_bigrams(title: str) -> frozenset[str]:
    chars = "".join(ch for ch in title.lower() if ch.isalnum())
    if len(chars) < 2:
        return frozenset({chars}) if chars else frozenset()
    return frozenset(chars[i:i + 2] for i in range(len(chars) - 1))


def bigram_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class _Candidate:
    event_id: int
    bigrams: frozenset[str]
    terms: set[str]
    last_seen: datetime.datetime
    signature: np.ndarray | None


@dataclass
class EventIndex:
    """Active events of the window, indexed by title bigram, plus lead signatures for the body check."""

    candidates: list[_Candidate] = field(default_factory=list)
    by_bigram: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, candidate: _Candidate) -> None:
        position = len(self.candidates)
        self.candidates.append(candidate)
        for gram in candidate.bigrams:
            self.by_bigram[gram].append(position)

    def best(self, bigrams: frozenset[str], terms: set[str], signature: np.ndarray | None,
             published: datetime.datetime) -> int | None:
        earliest = published - WINDOW
        shared: dict[int, int] = defaultdict(int)
        for gram in bigrams:
            for position in self.by_bigram.get(gram, ()):
                shared[position] += 1
        best_score, best_id = 0.0, None
        for position, common in shared.items():
            candidate = self.candidates[position]
            if candidate.last_seen < earliest:
                continue
            score = common / (len(bigrams) + len(candidate.bigrams) - common)
            if score >= TITLE_JACCARD and score > best_score:
                best_score, best_id = score, candidate.event_id
        if best_id is not None or not terms or signature is None:
            return best_id
        for candidate in self.candidates:
            if candidate.signature is None or candidate.last_seen < earliest or not (terms & candidate.terms):
                continue
            score = float(np.count_nonzero(candidate.signature == signature)) / signature.size
            if score >= BODY_JACCARD and score > best_score:
                best_score, best_id = score, candidate.event_id
        return best_id


def load_index(since: datetime.datetime) -> EventIndex:
    """Active events seen since `since` (newest first, at most MAX_CANDIDATES), with their lead's data."""
    from yishi_text.opinion.minhash import from_bytes

    rows = list(
        Event.objects.filter(status=EventStatus.ACTIVE, last_seen__gte=since)
        .order_by("-last_seen")
        .values_list("pk", "title", "last_seen", "lead_item_id", "lead_item__minhash")[:MAX_CANDIDATES]
    )
    lead_terms: dict[int, set[str]] = defaultdict(set)
    lead_ids = [row[3] for row in rows if row[3]]
    for start in range(0, len(lead_ids), 900):
        for item_id, terms in RuleMatch.objects.filter(item_id__in=lead_ids[start:start + 900]).values_list(
                "item_id", "terms"):
            lead_terms[item_id].update(terms or [])
    index = EventIndex()
    for pk, title, last_seen, lead_id, blob in reversed(rows):
        signature = from_bytes(blob) if blob else None
        index.add(_Candidate(pk, title_bigrams(title), lead_terms.get(lead_id, set()), last_seen, signature))
    return index


def assign(items: Sequence[Item], signatures: dict[int, np.ndarray], terms: dict[int, set[str]],
           original_events: dict[int, int | None]) -> tuple[set[int], list[Event]]:
    """Set `event_id` on the relevant items of a batch; returns (touched event ids, events created).

    `original_events` maps the id of every original a repost points at to its event (filled in
    here for originals of the same batch, which come earlier in id order).
    """
    relevant = [item for item in items if item.relevant]
    if not relevant:
        return set(), []
    index = load_index(min(item.published_at for item in relevant) - WINDOW)
    touched: set[int] = set()
    created: list[Event] = []
    for item in relevant:
        event_id = original_events.get(item.repost_of_id) if item.repost_of_id else None
        if event_id is None:
            bigrams = title_bigrams(item.title)
            event_id = index.best(bigrams, terms.get(item.pk, set()), signatures.get(item.pk), item.published_at)
            if event_id is None:
                # A placeholder id (negative) until the new events are inserted in one statement.
                created.append(Event(title=item.title[:500] or "（无标题）", first_seen=item.published_at,
                                     last_seen=item.published_at, lead_item_id=item.pk))
                event_id = -len(created)
                index.add(_Candidate(event_id, bigrams, set(terms.get(item.pk, set())), item.published_at,
                                     signatures.get(item.pk)))
        item.event_id = event_id
        original_events[item.pk] = event_id
    Event.objects.bulk_create(created)
    real = {-(position + 1): event.pk for position, event in enumerate(created)}
    for item in relevant:
        item.event_id = real.get(item.event_id, item.event_id)
        original_events[item.pk] = item.event_id
        touched.add(item.event_id)
    return touched, created


def _sentiment_filter(code: str) -> Q:
    """An analyst's label wins over the model's."""
    return Q(sentiment_label=code) | Q(sentiment_label="", sentiment=code)


def refresh_events(event_ids: Iterable[int], *, now: datetime.datetime | None = None,
                   new_ids: Iterable[int] = ()) -> list[Event]:
    """Recompute the figures of the given events from their items; sample their heat. Call in a transaction."""
    from yishi_text.opinion.heat import growth_rate, heat_index

    ids = sorted(set(event_ids))
    if not ids:
        return []
    now = now or timezone.now()
    locked = Event.objects.filter(pk__in=ids).order_by("pk")
    if connection.features.has_select_for_update:
        locked = locked.select_for_update()
    events = {event.pk: event for event in locked}
    hour, two_hours = now - datetime.timedelta(hours=1), now - datetime.timedelta(hours=2)
    figures = (
        Item.objects.filter(event_id__in=ids).values("event_id").annotate(
            n=Count("id"), reposts=Count("id", filter=Q(repost_of__isnull=False)),
            pos=Count("id", filter=_sentiment_filter("pos")), neu=Count("id", filter=_sentiment_filter("neu")),
            neg=Count("id", filter=_sentiment_filter("neg")), first=Min("published_at"), last=Max("published_at"),
            last_hour=Count("id", filter=Q(published_at__gt=hour)),
            prev_hour=Count("id", filter=Q(published_at__gt=two_hours, published_at__lte=hour)),
        )
    )
    weights = dict(Source.objects.values_list("pk", "weight"))
    sources: dict[int, set[int]] = defaultdict(set)
    # order_by(): Item's default ordering would put published_at into the SELECT DISTINCT and return
    # every item of the events instead of one row per (event, source).
    for event_id, source_id in (Item.objects.filter(event_id__in=ids).order_by().values_list("event_id", "source_id")
                                .distinct()):
        sources[event_id].add(source_id)
    new_ids = set(new_ids)
    samples: list[EventHeat] = []
    keyword_events: list[Event] = []
    for row in figures:
        event = events.get(row["event_id"])
        if event is None:
            continue
        grew_to_keyword_size = row["n"] != event.item_count and (row["n"] in KEYWORD_SIZES or not event.keywords)
        event.item_count, event.repost_count = row["n"], row["reposts"]
        event.positive, event.neutral, event.negative = row["pos"], row["neu"], row["neg"]
        event.first_seen, event.last_seen = row["first"], row["last"]
        event.source_count = len(sources[event.pk])
        event.growth = growth_rate(row["last_hour"], row["prev_hour"])
        event.heat = heat_index(row["n"], row["reposts"], sum(weights.get(s, 1.0) for s in sources[event.pk]),
                                event.growth)
        if event.last_seen >= now - WINDOW:
            event.status = EventStatus.ACTIVE
        if event.pk in new_ids or grew_to_keyword_size:
            keyword_events.append(event)
        samples.append(EventHeat(event=event, at=now, heat=event.heat, item_count=event.item_count,
                                 negative=event.negative))
    _refresh_keywords(keyword_events)
    _save(list(events.values()))
    EventHeat.objects.bulk_create(samples)
    return list(events.values())


_UPDATE_EVENT = ("UPDATE opinion_event SET item_count = %s, repost_count = %s, positive = %s, neutral = %s, "
                 "negative = %s, first_seen = %s, last_seen = %s, source_count = %s, growth = %s, heat = %s, "
                 "status = %s, keywords = %s WHERE id = %s")


def _save(events: list[Event]) -> None:
    """One executemany (the ORM's bulk_update builds a CASE per field and row: slow for a hot path)."""
    ops = connection.ops
    keywords_field = Event._meta.get_field("keywords")
    with connection.cursor() as cursor:
        cursor.executemany(_UPDATE_EVENT, [
            (e.item_count, e.repost_count, e.positive, e.neutral, e.negative,
             ops.adapt_datetimefield_value(e.first_seen), ops.adapt_datetimefield_value(e.last_seen), e.source_count,
             e.growth, e.heat, e.status, keywords_field.get_db_prep_save(e.keywords, connection), e.pk)
            for e in events])


def _refresh_keywords(events: list[Event]) -> None:
    """Top terms of each event from its newest titles and its lead's body (TF-IDF, jieba)."""
    if not events:
        return
    from yishi_text.opinion.segment import keywords

    ids = [event.pk for event in events]
    texts: dict[int, list[str]] = defaultdict(list)
    leads = {event.lead_item_id for event in events if event.lead_item_id}
    for event_id, pk, title, body in (Item.objects.filter(event_id__in=ids).order_by("-published_at")
                                      .values_list("event_id", "pk", "title", "body")[:50 * len(ids)]):
        if len(texts[event_id]) < 50:
            texts[event_id].append(f"{title}\n{body[:LEAD_BODY_CHARS]}" if pk in leads else title)
    for event in events:
        if texts.get(event.pk):
            event.keywords = keywords(texts[event.pk])


def quiet_stale_events(now: datetime.datetime | None = None) -> int:
    """Events with nothing new for 72 hours are 已平息 (they stop attracting new items)."""
    now = now or timezone.now()
    return Event.objects.filter(status=EventStatus.ACTIVE, last_seen__lt=now - WINDOW).update(
        status=EventStatus.QUIET)
