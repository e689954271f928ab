"""Alerting (预警): after each processed batch the pipeline asks which alert rules fire.

    evaluate(items, events)              → both of the below (what the pipeline calls)
    evaluate_item_alerts(items, matches) → negative / sensitive-word rules per item, named-source volume
    evaluate_event_alerts(events)        → threshold rules on an event (heat, growth, negative share)

Per batch the enabled rules, their recipients and the keyword matches are loaded once (a few
queries, whatever the batch size). Candidates are grouped by what they are about — the event, or
the item before it joined one — and only the most serious colour per target is raised. Raising is
idempotent through `Alert.dedup_key` ("event:<id>:<level>"): one event never pages twice for the
same colour (nor for a lower one once a higher colour paged), but an escalation to a higher colour
pages again. Each alert is written and its notifications queued (core.notify) in one transaction.

Quiet hours (the rule's, else OpinionSettings'): a red alert is delivered at once; others are held
(`held_until`) and delivered by `release_held_alerts` when the quiet period ends.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from core import audit
from core.models import AuditAction
from core.notify import notify
from core.roles import LEADING_ROLES
from opinion.choices import Sentiment
from opinion.models import Alert, AlertRule, Event, Item, OpinionSettings, RuleMatch
from opinion.models.alerts import LEVEL_RANK, AlertLevel, AlertMode, AlertStatus, ThresholdMetric

NOTIFY_LEVEL = {AlertLevel.RED: "urgent", AlertLevel.ORANGE: "warning", AlertLevel.YELLOW: "warning",
                AlertLevel.BLUE: "info"}
CATEGORY = "opinion_alert"
WEEKDAYS = "一二三四五六日"


# --- rule windows and quiet hours -------------------------------------------------------------------


def _in_span(now: datetime.time, start: datetime.time, end: datetime.time) -> bool:
    """Whether `now` lies in [start, end); a span whose end is before its start wraps midnight."""
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def rule_active(rule: AlertRule, now: datetime.datetime) -> bool:
    """The rule's active time windows: weekdays (empty = every day) and hours (empty = all day)."""
    local = timezone.localtime(now)
    if rule.weekdays and local.weekday() not in {int(d) for d in rule.weekdays}:
        return False
    if rule.active_from and rule.active_to:
        return _in_span(local.time(), rule.active_from, rule.active_to)
    return True


def quiet_period(rule: AlertRule | None, settings: OpinionSettings) -> tuple[datetime.time, datetime.time]:
    if rule is not None and rule.quiet_start and rule.quiet_end:
        return rule.quiet_start, rule.quiet_end
    return settings.quiet_start, settings.quiet_end


def held_until(level: str, rule: AlertRule | None, settings: OpinionSettings,
               now: datetime.datetime) -> datetime.datetime | None:
    """When a held alert is to be delivered, or None to deliver now (red never waits)."""
    if level == AlertLevel.RED:
        return None
    start, end = quiet_period(rule, settings)
    local = timezone.localtime(now)
    if not _in_span(local.time(), start, end):
        return None
    release = timezone.make_aware(datetime.datetime.combine(local.date(), end))
    if release <= local:
        release += datetime.timedelta(days=1)
    return release


# --- recipients -------------------------------------------------------------------------------------


def unit_leaders(unit_ids: Iterable[int]) -> dict[int, list[Any]]:
    """The users holding a leading role for each unit (科室负责人, 分管领导 …); a unit with none
    falls back to its nearest ancestor that has some. One query for units, one for assignments."""
    from org.models import RoleAssignment, Unit

    wanted = set(unit_ids)
    if not wanted:
        return {}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=wanted).only("id", "path")}
    ancestor_paths = {p for u in units.values() for p in _path_prefixes(u.path)}
    rows = (RoleAssignment.objects.filter(role__in=LEADING_ROLES, unit__path__in=ancestor_paths,
                                          person__is_active=True, person__user__is_active=True)
            .select_related("person__user").only("unit__path", "person__user"))
    by_path: dict[str, list[Any]] = {}
    for row in rows.select_related("unit"):
        by_path.setdefault(row.unit.path, []).append(row.person.user)
    result: dict[int, list[Any]] = {}
    for pk, unit in units.items():
        for path in sorted(_path_prefixes(unit.path), key=len, reverse=True):
            if by_path.get(path):
                result[pk] = list({u.pk: u for u in by_path[path]}.values())
                break
        else:
            result[pk] = []
    return result


def _path_prefixes(path: str) -> list[str]:
    """Unit paths are materialised ("/1/4/9/"): every ancestor's path is a prefix of it."""
    parts = [p for p in (path or "").split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def rule_recipients(rules: Sequence[AlertRule]) -> dict[int, list[Any]]:
    """Users each rule pages: its chosen people, else its unit's leaders."""
    leaders = unit_leaders({r.unit_id for r in rules if not r.chosen})
    return {r.pk: (r.chosen or leaders.get(r.unit_id, [])) for r in rules}


def _load_rules() -> list[AlertRule]:
    rules = list(AlertRule.objects.filter(enabled=True).select_related("keyword_rule", "source", "unit")
                 .prefetch_related("recipients__user"))
    for rule in rules:
        rule.chosen = [p.user for p in rule.recipients.all() if p.user_id and p.is_active and p.user.is_active]
    return rules


# --- candidates -------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """A reason to raise an alert about one target; the most serious per target wins."""

    target: str  # "event:12" or "item:34"
    level: str
    mode: str
    title: str
    reasons: list[str] = field(default_factory=list)
    rules: list[AlertRule] = field(default_factory=list)
    event_id: int | None = None
    item_id: int | None = None


def _add(found: dict[str, Candidate], cand: Candidate, rule: AlertRule, reason: str) -> None:
    current = found.get(cand.target)
    if current is None or LEVEL_RANK[cand.level] > LEVEL_RANK[current.level]:
        cand.reasons, cand.rules = [reason], [rule]
        found[cand.target] = cand
    elif current.level == cand.level:
        if reason not in current.reasons:
            current.reasons.append(reason)
        current.rules.append(rule)


def _matches_by_item(items: Sequence[Item], rule_matches: Any) -> dict[int, dict[int, list[str]]]:
    """{item_id: {keyword_rule_id: terms}} from what the pipeline passed, else from the database."""
    result: dict[int, dict[int, list[str]]] = {}
    if rule_matches is None:
        rows = RuleMatch.objects.filter(item_id__in=[i.pk for i in items]).values_list("item_id", "rule_id", "terms")
        for item_id, rule_id, terms in rows:
            result.setdefault(item_id, {})[rule_id] = list(terms or [])
        return result
    if isinstance(rule_matches, dict):
        for item_id, value in rule_matches.items():
            if isinstance(value, dict):
                result[item_id] = {int(k): list(v or []) for k, v in value.items()}
            else:  # a list of RuleMatch rows or of rule ids
                result[item_id] = {getattr(m, "rule_id", m): list(getattr(m, "terms", []) or []) for m in value}
        return result
    for match in rule_matches:
        result.setdefault(match.item_id, {})[match.rule_id] = list(match.terms or [])
    return result


def _item_target(item: Item) -> tuple[str, int | None]:
    return (f"event:{item.event_id}", item.event_id) if item.event_id else (f"item:{item.pk}", None)


def _terms(terms: list[str]) -> str:
    return "、".join(terms[:10]) if terms else "（规则命中）"


def _item_candidates(items: Sequence[Item], rules: Sequence[AlertRule], matches: dict[int, dict[int, list[str]]],
                     found: dict[str, Candidate]) -> None:
    for item in items:
        if getattr(item, "stage", "done") == "skipped":
            continue
        item_matches = matches.get(item.pk, {})
        target, event_id = _item_target(item)
        for rule in rules:
            if rule.mode == AlertMode.NEGATIVE:
                reason = _negative_reason(rule, item, item_matches)
            elif rule.mode == AlertMode.SENSITIVE:
                reason = _sensitive_reason(rule, item_matches)
            else:
                continue
            if reason:
                cand = Candidate(target, rule.level, rule.mode, item.title[:300], event_id=event_id, item_id=item.pk)
                _add(found, cand, rule, f"【{rule.name}】{reason}")


def _negative_reason(rule: AlertRule, item: Item, item_matches: dict[int, list[str]]) -> str:
    sentiment = item.sentiment_label or item.sentiment
    if sentiment != Sentiment.NEGATIVE:
        return ""
    confidence = 1.0 if item.sentiment_label else float(item.sentiment_confidence or 0)
    if confidence < rule.min_confidence:
        return ""
    if rule.keyword_rule_id:
        if rule.keyword_rule_id not in item_matches:
            return ""
        words = f"，命中“{rule.keyword_rule.name}”：{_terms(item_matches[rule.keyword_rule_id])}"
    elif not item.relevant:
        return ""
    else:
        words = ""
    how = "人工标注" if item.sentiment_label else f"置信度 {confidence:.2f} ≥ {rule.min_confidence:.2f}"
    return f"负面舆情（{how}）{words}"


def _sensitive_reason(rule: AlertRule, item_matches: dict[int, list[str]]) -> str:
    if rule.keyword_rule_id:
        if rule.keyword_rule_id in item_matches:
            return f"命中敏感词规则“{rule.keyword_rule.name}”：{_terms(item_matches[rule.keyword_rule_id])}"
        return ""
    return ""


def _source_candidates(items: Sequence[Item], rules: Sequence[AlertRule], now: datetime.datetime,
                       found: dict[str, Candidate]) -> None:
    """Named-source volume: items the source delivered within the window, one alert per window."""
    wanted = [r for r in rules if r.mode == AlertMode.THRESHOLD and r.metric == ThresholdMetric.SOURCE_VOLUME
              and r.source_id and r.threshold is not None]
    batch_sources = {i.source_id for i in items}
    for rule in wanted:
        if rule.source_id not in batch_sources:
            continue
        since = now - datetime.timedelta(minutes=rule.window_minutes or 60)
        count = Item.objects.filter(source_id=rule.source_id, received_at__gte=since).exclude(stage="skipped").count()
        if count < rule.threshold:
            continue
        bucket = int(now.timestamp() // (60 * (rule.window_minutes or 60)))
        target = f"source:{rule.source_id}:{bucket}"
        cand = Candidate(target, rule.level, rule.mode, f"{rule.source.name} 信息量异常")
        _add(found, cand, rule, f"【{rule.name}】{rule.source.name} 近 {rule.window_minutes} 分钟信息量 {count} 条，"
                                f"达到阈值 {rule.threshold:g} 条")


def _event_candidates(events: Sequence[Event], rules: Sequence[AlertRule], now: datetime.datetime,
                      found: dict[str, Candidate]) -> None:
    wanted = [r for r in rules if r.mode == AlertMode.THRESHOLD and r.metric in
              (ThresholdMetric.HEAT, ThresholdMetric.GROWTH, ThresholdMetric.NEGATIVE_SHARE)
              and r.threshold is not None]
    if not wanted or not events:
        return
    event_ids = [e.pk for e in events]
    keyword_ids = {r.keyword_rule_id for r in wanted if r.keyword_rule_id}
    matched: set[tuple[int, int]] = set()
    if keyword_ids:
        matched = set(RuleMatch.objects.filter(item__event_id__in=event_ids, rule_id__in=keyword_ids)
                      .values_list("item__event_id", "rule_id").distinct())
    shares = _negative_shares(event_ids, {r.window_minutes or 60 for r in wanted
                                          if r.metric == ThresholdMetric.NEGATIVE_SHARE}, now)
    for event in events:
        for rule in wanted:
            if rule.keyword_rule_id and (event.pk, rule.keyword_rule_id) not in matched:
                continue
            reason = _threshold_reason(rule, event, shares)
            if reason:
                cand = Candidate(f"event:{event.pk}", rule.level, rule.mode, event.title[:300], event_id=event.pk)
                _add(found, cand, rule, f"【{rule.name}】{reason}")


def _negative_shares(event_ids: list[int], windows: set[int], now: datetime.datetime
                     ) -> dict[tuple[int, int], tuple[int, int]]:
    """{(event_id, window): (negative, total)} over the items received in the window."""
    result: dict[tuple[int, int], tuple[int, int]] = {}
    for window in windows:
        since = now - datetime.timedelta(minutes=window)
        rows = (Item.objects.filter(event_id__in=event_ids, received_at__gte=since).exclude(stage="skipped")
                .values("event_id").annotate(total=Count("id"), neg=Count("id", filter=(
                    Q(sentiment_label=Sentiment.NEGATIVE) | Q(sentiment_label="", sentiment=Sentiment.NEGATIVE)))))
        for row in rows:
            result[(row["event_id"], window)] = (row["neg"], row["total"])
    return result


def _threshold_reason(rule: AlertRule, event: Event, shares: dict[tuple[int, int], tuple[int, int]]) -> str:
    if rule.metric == ThresholdMetric.HEAT and event.heat >= rule.threshold:
        return f"事件热度 {event.heat:.1f}，达到阈值 {rule.threshold:g}"
    if rule.metric == ThresholdMetric.GROWTH and event.growth >= rule.threshold:
        return f"增长率 {event.growth:.0%}，达到阈值 {rule.threshold:.0%}"
    if rule.metric == ThresholdMetric.NEGATIVE_SHARE:
        negative, total = shares.get((event.pk, rule.window_minutes or 60), (0, 0))
        if total and negative / total >= rule.threshold:
            return (f"近 {rule.window_minutes} 分钟负面占比 {negative / total:.0%}（{negative}/{total}），"
                    f"达到阈值 {rule.threshold:.0%}")
    return ""


# --- raising ----------------------------------------------------------------------------------------


def _already_paged(candidates: Iterable[Candidate]) -> dict[str, int]:
    """The highest colour rank already paged per target ("event:12" …)."""
    event_ids = [c.event_id for c in candidates if c.event_id]
    keys = [c.target for c in candidates if not c.event_id]
    rows = Alert.objects.filter(Q(event_id__in=event_ids) | Q(dedup_key__in=[f"{k}:{lvl}" for k in keys
                                                                           for lvl in AlertLevel.values]))
    best: dict[str, int] = {}
    for event_id, key, level in rows.values_list("event_id", "dedup_key", "level"):
        target = f"event:{event_id}" if event_id else key.rsplit(":", 1)[0]
        best[target] = max(best.get(target, 0), LEVEL_RANK.get(level, 0))
    return best


def alert_url(alert: Alert) -> str:
    return reverse("opinion:alert_detail", args=[alert.pk])


def _deliver(alert: Alert, users: Sequence[Any]) -> None:
    notify(users, f"【{alert.get_level_display()}预警】{alert.title}"[:200], alert.reason, url=alert_url(alert),
           level=NOTIFY_LEVEL.get(alert.level, "warning"), category=CATEGORY)
    alert.notified_at = timezone.now()
    alert.held_until = None
    alert.save(update_fields=["notified_at", "held_until"])


def _raise(cand: Candidate, recipients: dict[int, list[Any]], settings: OpinionSettings,
           now: datetime.datetime, *, unit_id: int | None = None, raised_by: Any = None) -> Alert | None:
    users = list({u.pk: u for r in cand.rules for u in recipients.get(r.pk, [])}.values())
    rule = cand.rules[0] if cand.rules else None
    hold = held_until(cand.level, rule, settings, now)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule, unit_id=unit_id or (rule.unit_id if rule else None), mode=cand.mode, level=cand.level,
                event_id=cand.event_id, item_id=cand.item_id, title=cand.title[:300],
                reason="；".join(cand.reasons), dedup_key=f"{cand.target}:{cand.level}"[:100],
                held_until=hold, raised_by=raised_by)
            alert.recipients.set(users)
            audit.record(AuditAction.CREATE, obj=alert, changes={"level": alert.level, "reason": alert.reason,
                                                                 "recipients": [u.pk for u in users]})
            if hold is None:
                _deliver(alert, users)
    except IntegrityError:  # another worker raised the same alert a moment ago
        return None
    return alert


def _raise_all(found: dict[str, Candidate], now: datetime.datetime) -> list[Alert]:
    if not found:
        return []
    paged = _already_paged(found.values())
    fresh = [c for c in found.values() if LEVEL_RANK[c.level] > paged.get(c.target, 0)]
    if not fresh:
        return []
    settings = OpinionSettings.current()
    recipients = rule_recipients(list({r.pk: r for c in fresh for r in c.rules}.values()))
    alerts = []
    with audit.system_context(via="task") if audit.current().actor is None else contextlib.nullcontext():
        for cand in fresh:
            alert = _raise(cand, recipients, settings, now)
            if alert is not None:
                alerts.append(alert)
    return alerts


def _active_rules(rules: Sequence[AlertRule] | None, now: datetime.datetime) -> list[AlertRule]:
    """The given rules (or every stored one) that are in their active window at `now`."""
    return [r for r in (rules if rules is not None else _load_rules()) if rule_active(r, now)]


def evaluate_item_alerts(items: Sequence[Item], rule_matches: Any = None, *, now: datetime.datetime | None = None,
                         rules: Sequence[AlertRule] | None = None) -> list[Alert]:
    """Negative and sensitive-word rules on the processed items (and named-source volume)."""
    items = [i for i in items if i is not None]
    if not items:
        return []
    now = now or timezone.now()
    rules = _active_rules(rules, now)
    if not rules:
        return []
    found: dict[str, Candidate] = {}
    _item_candidates(items, rules, _matches_by_item(items, rule_matches), found)
    _source_candidates(items, rules, now, found)
    return _raise_all(found, now)


def evaluate_event_alerts(events: Sequence[Event], *, now: datetime.datetime | None = None,
                          rules: Sequence[AlertRule] | None = None) -> list[Alert]:
    """Threshold rules on the events the batch touched."""
    events = [e for e in events if e is not None]
    if not events:
        return []
    now = now or timezone.now()
    rules = _active_rules(rules, now)
    if not rules:
        return []
    found: dict[str, Candidate] = {}
    _event_candidates(events, rules, now, found)
    return _raise_all(found, now)


def evaluate(items: Sequence[Item], events: Sequence[Event], *, now: datetime.datetime | None = None) -> list[Alert]:
    """What the pipeline calls after each processed batch: item rules, then event thresholds.

    The rules are loaded once for both. Event alerts run after item alerts, so a negative item and
    its event's threshold in one batch raise one alert at the more serious colour.
    """
    now = now or timezone.now()
    rules = _load_rules()
    if not rules:
        return []
    alerts = evaluate_item_alerts(items, None, now=now, rules=rules)
    return alerts + evaluate_event_alerts(events, now=now, rules=rules)


# --- holding and releasing --------------------------------------------------------------------------


def release_held_alerts(now: datetime.datetime | None = None) -> int:
    """Deliver the alerts held for quiet hours whose quiet period has ended."""
    now = now or timezone.now()
    count = 0
    due = list(Alert.objects.filter(notified_at__isnull=True, held_until__lte=now).values_list("pk", flat=True))
    for pk in due:
        with transaction.atomic():
            alert = Alert.objects.select_for_update().filter(pk=pk, notified_at__isnull=True).first()
            if alert is None:
                continue
            if alert.status in (AlertStatus.DISMISSED,):
                alert.held_until = None
                alert.save(update_fields=["held_until"])
                continue
            _deliver(alert, list(alert.recipients.all()))
            count += 1
    return count


def weekdays_label(days: Iterable[int]) -> str:
    days = sorted({int(d) for d in days})
    return "每天" if not days or len(days) == 7 else "、".join(f"周{WEEKDAYS[d]}" for d in days if 0 <= d <= 6)
