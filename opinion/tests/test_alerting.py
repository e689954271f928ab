"""Alerting: modes, colour de-duplication and escalation, time windows, quiet hours, recipients."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry, Notification, NotificationDelivery, NotificationPreference
from opinion import actions, alerting
from opinion.models import Alert, OpinionSettings
from opinion.tests import b2_factories as f

pytestmark = pytest.mark.django_db

TUESDAY_10 = f.at(2026, 11, 24, 10, 0)
TUESDAY_23 = f.at(2026, 11, 24, 23, 0)


def inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, category="opinion_alert"))


def test_negative_alert_reaches_unit_leaders_inbox(world):
    f.alert_rule(world.unit_a, min_confidence=0.7)
    it = f.item("窗口工作人员态度恶劣遭投诉", sentiment="neg", confidence=0.85, ev=f.event())
    alerts = alerting.evaluate_item_alerts([it], now=TUESDAY_10)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.dedup_key == f"event:{it.event_id}:yellow"
    assert "置信度 0.85 ≥ 0.70" in alert.reason and "负面预警" in alert.reason
    assert alert.notified_at is not None and alert.held_until is None
    # No recipients chosen: the unit's heads and leaders (科室负责人, 分管领导) are paged.
    assert {u.username for u in alert.recipients.all()} == {"head_a", "leader_a"}
    notes = inbox(world.head_a)
    assert len(notes) == 1 and notes[0].title == "【黄色预警】窗口工作人员态度恶劣遭投诉"
    assert notes[0].url == f"/opinion/alerts/{alert.pk}/"
    assert not inbox(world.staff_a)
    assert AuditEntry.objects.filter(object_type="opinion.alert", object_id=str(alert.pk)).exists()


def test_negative_below_confidence_or_irrelevant_is_quiet(world):
    f.alert_rule(world.unit_a, min_confidence=0.7)
    low = f.item("低置信度负面", sentiment="neg", confidence=0.5)
    irrelevant = f.item("与本单位无关的负面", sentiment="neg", confidence=0.95, relevant=False)
    neutral = f.item("中性信息", sentiment="neu", confidence=0.99)
    assert alerting.evaluate_item_alerts([low, irrelevant, neutral], now=TUESDAY_10) == []
    # An analyst's label counts whatever the model's confidence was.
    labelled = f.item("人工标注为负面", sentiment="neu", confidence=0.2, sentiment_label="neg")
    assert len(alerting.evaluate_item_alerts([labelled], now=TUESDAY_10)) == 1


def test_negative_restricted_to_keyword_rule(world):
    kw = f.keyword_rule(world.unit_a, name="窗口服务", expression="窗口", purpose="relevance")
    f.alert_rule(world.unit_a, keyword_rule=kw)
    hit = f.item("窗口办事难", sentiment="neg")
    miss = f.item("道路施工扰民", sentiment="neg")
    f.match(hit, kw, ["窗口"])
    alerts = alerting.evaluate_item_alerts([hit, miss], now=TUESDAY_10)
    assert [a.item_id for a in alerts] == [hit.pk]
    assert "命中“窗口服务”：窗口" in alerts[0].reason


def test_sensitive_words(world):
    kw = f.keyword_rule(world.unit_a)
    f.alert_rule(world.unit_a, "敏感词预警", mode="sensitive", level="orange", keyword_rule=kw)
    it = f.item("某地发生砸车事件", sentiment="neu")
    f.match(it, kw, ["砸车"])
    alerts = alerting.evaluate_item_alerts([it], now=TUESDAY_10)
    assert len(alerts) == 1
    assert alerts[0].dedup_key == f"item:{it.pk}:orange"
    assert alerts[0].reason == "【敏感词预警】命中敏感词规则“敏感词”：砸车"
    # The pipeline passes the matches it wrote; the same answer either way, and no second page.
    assert alerting.evaluate_item_alerts([it], list(it.rule_matches.all()), now=TUESDAY_10) == []


def test_one_event_never_pages_twice_for_the_same_level(world):
    f.alert_rule(world.unit_a)
    ev = f.event()
    first = f.item("负面一", sentiment="neg", ev=ev)
    second = f.item("负面二", sentiment="neg", ev=ev)
    assert len(alerting.evaluate_item_alerts([first, second], now=TUESDAY_10)) == 1
    assert alerting.evaluate_item_alerts([f.item("负面三", sentiment="neg", ev=ev)], now=TUESDAY_10) == []
    assert Alert.objects.filter(event=ev).count() == 1
    assert len(inbox(world.head_a)) == 1


def test_escalation_to_a_higher_colour_pages_again(world):
    f.alert_rule(world.unit_a, level="yellow")
    f.alert_rule(world.unit_a, "热度红色", mode="threshold", level="red", metric="heat", threshold=80)
    ev = f.event(heat=30)
    alerting.evaluate_item_alerts([f.item("负面", sentiment="neg", ev=ev)], now=TUESDAY_10)
    assert alerting.evaluate_event_alerts([ev], now=TUESDAY_10) == []  # heat 30 < 80
    ev.heat = 95.5
    ev.save()
    alerts = alerting.evaluate_event_alerts([ev], now=TUESDAY_10)
    assert [a.level for a in alerts] == ["red"]
    assert "事件热度 95.5，达到阈值 80" in alerts[0].reason
    assert [n.title[:6] for n in inbox(world.head_a)] == ["【红色预警】", "【黄色预警】"]
    # Back down to yellow: nothing new — the event already paged at a higher colour.
    assert alerting.evaluate_item_alerts([f.item("再负面", sentiment="neg", ev=ev)], now=TUESDAY_10) == []


def test_highest_colour_wins_within_a_batch(world):
    kw = f.keyword_rule(world.unit_a)
    f.alert_rule(world.unit_a, "黄", level="yellow")
    f.alert_rule(world.unit_a, "橙", mode="sensitive", level="orange", keyword_rule=kw)
    ev = f.event()
    it = f.item("负面且敏感", sentiment="neg", ev=ev)
    f.match(it, kw, ["爆炸"])
    alerts = alerting.evaluate_item_alerts([it], now=TUESDAY_10)
    assert [a.level for a in alerts] == ["orange"]
    assert len(inbox(world.head_a)) == 1


@pytest.mark.parametrize(("metric", "threshold", "values", "reason"), [
    ("growth", 1.5, {"growth": 2.0}, "增长率 200%，达到阈值 150%"),
    ("heat", 50, {"heat": 50}, "事件热度 50.0，达到阈值 50"),
])
def test_event_thresholds(world, metric, threshold, values, reason):
    f.alert_rule(world.unit_a, "阈值", mode="threshold", level="orange", metric=metric, threshold=threshold)
    ev = f.event(**values)
    alerts = alerting.evaluate_event_alerts([ev], now=TUESDAY_10)
    assert len(alerts) == 1 and reason in alerts[0].reason


def test_negative_share_over_the_window(world):
    f.alert_rule(world.unit_a, "负面占比", mode="threshold", metric="negative_share", threshold=0.6,
                 window_minutes=60)
    ev = f.event()
    for sentiment in ("neg", "neg", "neu"):
        f.item(f"{sentiment}信息", sentiment=sentiment, ev=ev)
    alerts = alerting.evaluate_event_alerts([ev])
    assert len(alerts) == 1
    assert "负面占比 67%（2/3），达到阈值 60%" in alerts[0].reason


def test_negative_share_below(world):
    f.alert_rule(world.unit_a, "负面占比", mode="threshold", metric="negative_share", threshold=0.6)
    ev = f.event()
    for sentiment in ("neg", "neu", "pos"):
        f.item(f"{sentiment}信息", sentiment=sentiment, ev=ev)
    assert alerting.evaluate_event_alerts([ev], now=TUESDAY_10) == []


def test_named_source_volume(world):
    src = f.source("重点网站")
    f.alert_rule(world.unit_a, "重点网站", mode="threshold", metric="source_volume", threshold=3, source=src)
    batch = [f.item(f"信息{i}", src=src) for i in range(2)]
    assert alerting.evaluate_item_alerts(batch) == []
    batch.append(f.item("信息3", src=src))
    alerts = alerting.evaluate_item_alerts(batch)
    assert len(alerts) == 1 and "重点网站 近 60 分钟信息量 3 条，达到阈值 3 条" in alerts[0].reason
    assert alerting.evaluate_item_alerts([f.item("信息4", src=src)]) == []  # once per window


def test_keyword_restricts_event_thresholds(world):
    kw = f.keyword_rule(world.unit_a, name="本单位", expression="窗口", purpose="relevance")
    f.alert_rule(world.unit_a, "热度", mode="threshold", metric="heat", threshold=10, keyword_rule=kw)
    ours, other = f.event("窗口事件", heat=20), f.event("别处事件", heat=20)
    f.match(f.item("窗口", ev=ours), kw, ["窗口"])
    f.item("别处", ev=other)
    assert [a.event_id for a in alerting.evaluate_event_alerts([ours, other], now=TUESDAY_10)] == [ours.pk]


def test_time_windows(world):
    f.alert_rule(world.unit_a, weekdays=[5, 6])  # weekends only
    f.alert_rule(world.unit_a, "夜间", level="orange", active_from=datetime.time(20), active_to=datetime.time(8))
    it = f.item("负面", sentiment="neg")
    assert alerting.evaluate_item_alerts([it], now=TUESDAY_10) == []
    saturday = f.at(2026, 11, 28, 10, 0)
    assert [a.level for a in alerting.evaluate_item_alerts([it], now=saturday)] == ["yellow"]
    late = f.item("夜间负面", sentiment="neg")
    assert [a.level for a in alerting.evaluate_item_alerts([late], now=f.at(2026, 11, 25, 2, 0))] == ["orange"]


def test_quiet_hours_hold_then_release(world):
    f.alert_rule(world.unit_a, level="orange")
    alert = alerting.evaluate_item_alerts([f.item("夜间负面", sentiment="neg")], now=TUESDAY_23)[0]
    assert alert.notified_at is None
    assert alert.held_until == f.at(2026, 11, 25, 7, 0)
    assert not inbox(world.head_a)
    assert alerting.release_held_alerts(now=f.at(2026, 11, 25, 6, 59)) == 0
    assert alerting.release_held_alerts(now=f.at(2026, 11, 25, 7, 0)) == 1
    alert.refresh_from_db()
    assert alert.notified_at is not None and alert.held_until is None
    assert len(inbox(world.head_a)) == 1
    assert alerting.release_held_alerts(now=f.at(2026, 11, 25, 8, 0)) == 0  # once


def test_red_ignores_quiet_hours(world):
    f.alert_rule(world.unit_a, level="red")
    alert = alerting.evaluate_item_alerts([f.item("夜间重大负面", sentiment="neg")], now=TUESDAY_23)[0]
    assert alert.notified_at is not None and alert.held_until is None
    assert inbox(world.head_a)[0].level == "urgent"


def test_rule_quiet_hours_override_settings(world):
    OpinionSettings.objects.create(quiet_start=datetime.time(22), quiet_end=datetime.time(7))
    f.alert_rule(world.unit_a, quiet_start=datetime.time(9), quiet_end=datetime.time(11))
    alert = alerting.evaluate_item_alerts([f.item("负面", sentiment="neg")], now=TUESDAY_10)[0]
    assert alert.held_until == f.at(2026, 11, 24, 11, 0)
    late = alerting.evaluate_item_alerts([f.item("夜间负面", sentiment="neg")], now=TUESDAY_23)[0]
    assert late.notified_at is not None  # 23:00 is outside this rule's quiet hours


def test_chosen_recipients_and_their_channels(world):
    NotificationPreference.objects.create(user=world.staff_a, email_enabled=True)
    world.staff_a.email = "staff_a@example.cn"
    world.staff_a.save()
    f.alert_rule(world.unit_a, recipients=[world.staff_a])
    alerting.evaluate_item_alerts([f.item("负面", sentiment="neg")], now=TUESDAY_10)
    assert len(inbox(world.staff_a)) == 1 and not inbox(world.head_a)
    delivery = NotificationDelivery.objects.get(notification__recipient=world.staff_a)
    assert delivery.channel == "email" and delivery.target == "staff_a@example.cn"


def test_disabled_rules_do_nothing(world):
    f.alert_rule(world.unit_a, enabled=False)
    assert alerting.evaluate_item_alerts([f.item("负面", sentiment="neg")], now=TUESDAY_10) == []


def test_batch_costs_a_fixed_number_of_queries(world):
    kw = f.keyword_rule(world.unit_a)
    f.alert_rule(world.unit_a, min_confidence=0.5)
    f.alert_rule(world.unit_a, "敏感", mode="sensitive", level="orange", keyword_rule=kw)
    f.alert_rule(world.unit_b, "信息科负面")
    items = [f.item(f"中性信息{i}", sentiment="neu") for i in range(60)]
    with CaptureQueriesContext(connection) as ctx:
        assert alerting.evaluate_item_alerts(items, [], now=TUESDAY_10) == []
    assert len(ctx) <= 4, [q["sql"] for q in ctx]
    items = [f.item(f"负面信息{i}", sentiment="neg", ev=f.event(f"事件{i}")) for i in range(20)]
    with CaptureQueriesContext(connection) as ctx_many:
        assert len(alerting.evaluate_item_alerts(items, [], now=TUESDAY_10)) == 20
    with CaptureQueriesContext(connection) as ctx_one:
        assert len(alerting.evaluate_item_alerts([f.item("负面", sentiment="neg", ev=f.event("单"))], [],
                                                 now=TUESDAY_10)) == 1
    # Loading rules and recipients does not grow with the batch; writing each alert costs the same.
    fixed = len(ctx_one) - (len(ctx_many) - len(ctx_one)) / 19
    assert fixed <= 12


def test_manual_alert(world):
    analyst = f.analyst(world)
    ev = f.event("人工关注事件")
    alert = actions.do_raise_alert(ev, level="orange", reason="领导批示关注", recipients=[world.head_b.person],
                                   acting_user=analyst)
    assert alert.mode == "manual" and alert.rule is None and alert.reason == "人工预警：领导批示关注"
    assert alert.unit == world.unit_a and alert.notified_at is not None
    assert len(inbox(world.head_b)) == 1
    with pytest.raises(ValidationError):
        actions.do_raise_alert(ev, level="orange", reason="", recipients=[world.head_b], acting_user=analyst)
    with pytest.raises(PermissionDenied):
        actions.do_raise_alert(ev, level="red", reason="x", recipients=[world.head_b], acting_user=world.staff_b)
    assert AuditEntry.objects.filter(action="denied", actor=world.staff_b).exists()


def test_ack_and_dismiss(world):
    f.alert_rule(world.unit_a)
    alert = alerting.evaluate_item_alerts([f.item("负面", sentiment="neg")], now=TUESDAY_10)[0]
    assert actions.do_ack_alert(alert, acting_user=world.head_a).status == "acknowledged"
    with pytest.raises(PermissionDenied):
        actions.do_dismiss_alert(alert, acting_user=world.staff_b)
    assert actions.do_dismiss_alert(alert, acting_user=world.leader_a).status == "dismissed"


def test_pipeline_item_pages_through_the_real_pipeline(world):
    """Push → ingest → process_items (B1's pipeline) → the alerting hook → the inbox."""
    from types import SimpleNamespace as RawItem  # what ingest reads of a feed item (pipeline.RawLike)

    from opinion.pipeline import ingest, process_items

    kw = f.keyword_rule(world.unit_a, expression="砸车|爆炸")
    f.alert_rule(world.unit_a, "敏感词红色", mode="sensitive", level="red", keyword_rule=kw)
    src = f.source("推送源")
    raw = RawItem(title="某路口发生砸车事件引发围观", body="今日上午，某路口发生砸车事件，多名群众围观拍摄，现场秩序一度混乱。"
                  "目前警方已到场处置，具体原因正在调查之中。", url="https://news.example.cn/a/1",
                  published=TUESDAY_10, external_id="p-1")
    ingest(src, [raw], enqueue=False)
    from opinion.models import Item

    ids = list(Item.objects.filter(source=src).values_list("pk", flat=True))
    assert process_items(ids) == 1
    alert = Alert.objects.get()
    assert alert.level == "red" and "砸车" in alert.reason
    assert inbox(world.head_a)[0].title.startswith("【红色预警】某路口发生砸车事件")


def test_alert_rule_pages(world, login, client):
    from opinion.models import AlertRule

    analyst = f.analyst(world)
    kw = f.keyword_rule(world.unit_a)
    c = login(analyst)
    assert c.get("/opinion/alert-rules/new/").status_code == 200
    data = {"name": "敏感词橙色", "unit": world.unit_a.pk, "mode": "sensitive", "level": "orange", "keyword_rule": "",
            "metric": "", "window_minutes": 60, "min_confidence": 0.6, "weekdays": ["0", "1"], "enabled": "on",
            "recipients": [world.head_a.person.pk]}
    bad = c.post("/opinion/alert-rules/new/", data)
    assert bad.status_code == 400 and "敏感词方式须选择一条用途为“敏感词”的关键词规则" in bad.content.decode()
    assert c.post("/opinion/alert-rules/new/", {**data, "keyword_rule": kw.pk}).status_code == 302
    rule = AlertRule.objects.get()
    assert rule.weekdays == [0, 1] and list(rule.recipients.all()) == [world.head_a.person]
    listing = c.get("/opinion/alert-rules/").content.decode()
    assert "敏感词橙色" in listing and "周一、周二" in listing
    assert c.get(f"/opinion/alert-rules/{rule.pk}/edit/").status_code == 200
    assert c.post(f"/opinion/alert-rules/{rule.pk}/edit/", {**data, "keyword_rule": kw.pk, "level": "red",
                                                            "version": 1}).status_code == 302
    rule.refresh_from_db()
    assert rule.level == "red" and rule.version == 2
    other = login(f.analyst(world, world.unit_b, "analyst_b"), client.__class__())
    assert other.get(f"/opinion/alert-rules/{rule.pk}/edit/").status_code == 404
    assert login(world.leader_a, client.__class__()).get("/opinion/alert-rules/").status_code == 403
    assert c.post(f"/opinion/alert-rules/{rule.pk}/delete/").status_code == 302
    assert not AlertRule.objects.exists()


@pytest.mark.worker
def test_real_worker_pages_within_seconds(world, transactional_db):
    """Ingest with the queue → a real worker processes the batch → the alert is in the inbox fast."""
    from types import SimpleNamespace

    from django.utils import timezone

    from core.testing import running_worker, wait_until
    from opinion.models import Item
    from opinion.pipeline import ingest

    kw = f.keyword_rule(world.unit_a, expression="砸车|爆炸")
    f.alert_rule(world.unit_a, "敏感词红色", mode="sensitive", level="red", keyword_rule=kw)
    src = f.source("推送源")

    def push(n: int, title: str) -> None:
        body = f"{title}。今日上午，现场多名群众围观拍摄，秩序一度混乱，目前有关部门已到场处置，原因正在调查之中。"
        ingest(src, [SimpleNamespace(title=title, body=body, url=f"https://news.example.cn/w/{n}",
                                     published=timezone.now(), external_id=f"w-{n}")])

    with running_worker():
        push(1, "市区举办读书节活动吸引市民参与")  # warms the worker up (tokenizer, sentiment model)
        wait_until(lambda: not Item.objects.filter(stage="received").exists(), timeout=120)
        push(2, "某路口发生砸车事件引发围观")
        note = wait_until(lambda: Notification.objects.filter(recipient=world.head_a,
                                                               category="opinion_alert").first(), timeout=30)
    item = Item.objects.get(external_id="w-2")
    latency = (note.created_at - item.received_at).total_seconds()
    print(f"ingest → alert in the inbox: {latency:.2f} s")
    assert 0 <= latency < 5, latency
