"""The demo data: loads offline, processes everything, and a second run adds nothing."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from opinion.choices import Stage
from opinion.demo import load_demo_opinion
from opinion.models import Event, Item, KeywordRule, RuleMatch, Source

pytestmark = pytest.mark.django_db


def test_demo_is_populated_and_idempotent(world):
    first = load_demo_opinion()
    assert first["items"] >= 140
    assert not Item.objects.filter(stage=Stage.RECEIVED).exists()
    assert Item.objects.filter(stage=Stage.DONE).count() == first["items"]
    assert Source.objects.filter(kind="rss", enabled=False).exists()
    assert KeywordRule.objects.filter(unit=world.root).count() == 4
    assert Item.objects.filter(repost_of__isnull=False).count() > 40
    assert RuleMatch.objects.filter(rule__purpose="sensitive").exists()
    top = Event.objects.order_by("-heat").first()
    assert top.item_count >= 10 and top.source_count >= 2 and top.repost_count >= 5
    assert Event.objects.aggregate(n=Sum("item_count"))["n"] == Item.objects.filter(event__isnull=False).count()
    assert load_demo_opinion()["items"] == 0
    assert Item.objects.count() == first["items"]
