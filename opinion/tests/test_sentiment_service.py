"""Sentiment in the app: baseline model, analyst corrections (audited), retraining, activation, scoring."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEntry
from opinion import sentiment_service as service
from opinion.models import Event, Item, SentimentModelVersion, Source

pytestmark = pytest.mark.django_db

SUBSET = 150  # texts per (source, label) in these tests: seconds, not minutes
# Made-up words the baseline data has never seen; analysts label them negative.
DISTINCT = "紫晶蜂鸟号浮空艇今日在云雀湾完成例行巡游"


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    service.invalidate_cache()
    yield
    service.invalidate_cache()


def _source() -> Source:
    return Source.objects.create(name="推送测试源", kind="push")


def _item(source: Source, title: str, body: str = "", *, sentiment: str = "", event: Event | None = None) -> Item:
    return Item.objects.create(source=source, title=title, body=body, published_at=timezone.now(),
                               sentiment=sentiment, event=event)


def test_without_a_model_items_stay_unscored():
    assert SentimentModelVersion.objects.count() == 0
    assert service.active_model() is None
    assert service.score(["某地发生事故", "好"]) == [("", None), ("", None)]
    assert service.rescore_items([1, 2]) == 0


def test_ensure_baseline_model_creates_one_active_version():
    row = service.ensure_baseline_model(per_stratum=SUBSET)
    assert (row.version, row.is_active) == (1, True)
    assert row.trained_on["corrections"] == 0 and row.trained_on["reviews/neg"] == SUBSET
    assert 0 <= row.metrics["official_news"]["negative_share"] <= 1
    assert {"reviews", "news", "news_pd", "news_own"} <= set(row.metrics["by_source"])
    assert service.ensure_baseline_model() == row and SentimentModelVersion.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="opinion.sentimentmodelversion", action="create").count() == 1
    entry = AuditEntry.objects.get(object_type="opinion.sentimentmodelversion", action="create")
    assert "blob" not in entry.changes and entry.actor_name  # the system user trained it
    labels = service.score(["某县化工厂发生爆炸事故，造成3人死亡，群众质疑监管", "质量很好，非常满意"])
    assert [label for label, _ in labels] == ["neg", "pos"]
    assert all(0 < confidence <= 1 for _, confidence in labels)
    assert service.active_version() == 1


def test_label_item_is_audited_and_moves_the_event_counts(world):
    source = _source()
    event = Event.objects.create(title="水厂水质", first_seen=timezone.now(), last_seen=timezone.now(),
                                 item_count=2, negative=2)
    item = _item(source, "水厂水质异常", sentiment="neg", event=event)
    _item(source, "水厂水质异常 转载", sentiment="neg", event=event)
    service.do_label_item(item, "neu", acting_user=world.first)
    item.refresh_from_db()
    assert (item.sentiment_label, item.labelled_by_id, item.sentiment) == ("neu", world.first.pk, "neg")
    assert item.labelled_at is not None and item.effective_sentiment == "neu"
    event.refresh_from_db()
    assert (event.positive, event.neutral, event.negative) == (0, 1, 1)
    entry = AuditEntry.objects.filter(object_type="opinion.item", object_id=str(item.pk)).latest("seq")
    assert entry.actor_id == world.first.pk and entry.changes["sentiment_label"] == ["", "neu"]
    # Clearing the correction gives the model's label back.
    service.do_label_item(item, "", acting_user=world.first)
    item.refresh_from_db()
    event.refresh_from_db()
    assert (item.sentiment_label, item.labelled_by_id, item.labelled_at) == ("", None, None)
    assert (event.neutral, event.negative) == (0, 2)
    with pytest.raises(ValidationError, match="无效"):
        service.do_label_item(item, "bad", acting_user=world.first)


def test_retrain_with_corrections_learns_them_and_activation_switches(world):
    v1 = service.ensure_baseline_model(per_stratum=SUBSET)
    before = service.score([f"{DISTINCT}\n"])[0][0]
    assert before != "neg"  # else the test would prove nothing
    source = _source()
    for _n in range(6):
        service.do_label_item(_item(source, DISTINCT, sentiment=before), "neg", acting_user=world.first)
    assert len(service.corrections()) == 6

    v2 = service.do_train_model(acting_user=world.first, per_stratum=SUBSET)
    v1.refresh_from_db()
    assert (v2.version, v2.is_active, v1.is_active) == (2, True, False)
    assert v2.trained_on["corrections"] == 6 and v2.created_by == world.first
    assert service.score([f"{DISTINCT}\n"])[0][0] == "neg"

    service.do_activate_model(1, acting_user=world.first)
    assert list(SentimentModelVersion.objects.filter(is_active=True).values_list("version", flat=True)) == [1]
    assert service.score([f"{DISTINCT}\n"])[0][0] == before
    activations = AuditEntry.objects.filter(object_type="opinion.sentimentmodelversion", action="update",
                                            actor_id=world.first.pk)
    assert activations.filter(changes__is_active=[False, True]).exists()
    with pytest.raises(ValidationError, match="不存在"):
        service.do_activate_model(9, acting_user=world.first)

    v3 = service.do_train_model(acting_user=world.first, use_corrections=False, activate=False, per_stratum=SUBSET)
    assert (v3.version, v3.is_active, v3.trained_on["corrections"]) == (3, False, 0)
    assert service.active_version() == 1


def test_only_one_version_can_be_active():
    service.ensure_baseline_model(per_stratum=SUBSET)
    with pytest.raises(IntegrityError), transaction.atomic():
        SentimentModelVersion.objects.create(version=2, blob=b"x", is_active=True)


def test_rescore_items_sets_labels_versions_and_event_counts():
    service.ensure_baseline_model(per_stratum=SUBSET)
    source = _source()
    event = Event.objects.create(title="事件", first_seen=timezone.now(), last_seen=timezone.now(), item_count=2)
    bad = _item(source, "某县化工厂发生爆炸事故", "造成3人死亡，周边村民质疑监管不力，多人投诉", event=event)
    good = _item(source, "质量很好，非常满意", "", event=event)
    assert service.rescore_items([bad.pk, good.pk]) == 2
    bad.refresh_from_db()
    good.refresh_from_db()
    event.refresh_from_db()
    assert (bad.sentiment, good.sentiment) == ("neg", "pos")
    assert bad.sentiment_model_version == 1 and 0 < bad.sentiment_confidence <= 1
    assert (event.positive, event.neutral, event.negative) == (1, 0, 1)


def test_workers_pick_up_a_newly_activated_model_via_the_cache_key():
    service.ensure_baseline_model(per_stratum=SUBSET)
    assert service.active_version() == 1
    # Another process activates v2: the row changes and the shared key is bumped; this process's
    # cached model is still fresh by time, so only the key can tell it.
    with transaction.atomic():
        SentimentModelVersion.objects.filter(version=1).update(is_active=False)
        blob = SentimentModelVersion.objects.get(version=1).blob
        SentimentModelVersion.objects.create(version=2, blob=blob, is_active=True)
    assert service.active_version() == 1  # not re-checked yet: at most CHECK_SECONDS stale
    from django.core.cache import cache

    cache.set(service.GENERATION_KEY, "bumped-elsewhere")
    assert service.active_version() == 2


def test_train_command_full_baseline_prints_chinese_figures(capsys):
    started = time.monotonic()
    call_command("train_sentiment")
    assert time.monotonic() - started < 60
    out = capsys.readouterr().out
    assert "情感模型 v1 训练完成（已启用）" in out and "准确率" in out and "负面召回率" in out
    assert "留出官方新闻 2000 段被判为负面的比例" in out
    row = SentimentModelVersion.objects.get()
    assert row.metrics["overall"]["accuracy"] > 0.75 and row.metrics["official_news"]["negative_share"] < 0.05
    assert row.metrics["overall"]["neg_recall"] > 0.8
    # A news item is judged by headline and text together: a problem report whose body retells the
    # official response stays negative; routine official news does not turn negative.
    model = service.active_model()
    title = "城东水厂出厂水浊度超标 部分小区自来水发黄有异味"
    body = ("11月下旬，城东多个小区居民反映自来水发黄、有异味，引发关注。市水务局通报称，城东水厂出厂水浊度一度超标，"
            "原因是取水口附近河段水质突变。市水务局已启动应急预案，组织专业队伍对管网进行冲洗消毒。")
    assert model.predict_articles([title], [f"{title}\n{body}"])[0][0] == "neg"
    official = "市政府召开常务会议 研究部署明年经济工作"
    text = f"{official}\n12月31日，市政府召开常务会议，传达学习上级会议精神，研究部署明年经济工作和民生实事项目。"
    assert model.predict_articles([official], [text])[0][0] != "neg"
    call_command("train_sentiment", "--no-activate", "--from-corrections", "--subset", str(SUBSET))
    call_command("train_sentiment", "--list")
    out = capsys.readouterr().out
    assert "v1（启用中）" in out and "v2  " in out
    call_command("train_sentiment", "--activate", "2")
    assert SentimentModelVersion.objects.get(is_active=True).version == 2


def test_the_pipeline_scores_items_with_the_active_model(world):
    from opinion.pipeline import ingest, process_items
    from yishi_text.opinion.feeds import RawItem

    service.ensure_baseline_model(per_stratum=SUBSET)
    now = timezone.now()
    raws = [
        RawItem(title="化工厂爆炸事故致3人死亡", external_id="1", published=now,
                body="某县化工厂昨夜发生爆炸事故，造成3人死亡、多人受伤，周边村民质疑监管不力，多次投诉无人处理。"),
        RawItem(title="市政府召开常务会议", external_id="2", published=now,
                body="12月31日，市政府召开常务会议，传达学习上级会议精神，研究部署明年经济工作和民生实事项目。"),
    ]
    result = ingest(_source(), raws, enqueue=False)
    process_items(result.ids)
    items = list(Item.objects.filter(pk__in=result.ids).order_by("external_id"))
    assert [item.sentiment for item in items] == ["neg", "neu"]
    assert all(0 < item.sentiment_confidence <= 1 for item in items)
