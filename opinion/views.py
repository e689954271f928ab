"""Monitoring pages (舆情监测): the live wall, items (filters, full-text search, detail with the
analyst's sentiment correction), events (timeline, sources, repost chains), keyword rules (editor
with syntax errors shown at their position and a live test run) and sources.

Thin: every page needs opinion.view, every write opinion.manage (refusals are 403, logged); rules
are read through `visible_to`; writes go through opinion.actions_monitor (rules), B1's
opinion.sources (sources) and A2's opinion.sentiment_service (labels).
"""

from __future__ import annotations

import datetime
import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import TruncDay, TruncHour
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.audit import forbid
from core.forms import add_action_errors
from core.listing import paginate
from core.roles import Perm
from core.scoping import has_perm, is_admin, scope_unit_ids
from opinion import actions_monitor
from opinion.choices import EventStatus, Sentiment
from opinion.filters import filter_items, parse_item_filters, visible_items, with_effective_sentiment
from opinion.forms import AllowlistForm, ImportForm, LabelForm, RuleForm, SourceForm
from opinion.models import (
    Event,
    EventHeat,
    FetchAllowlist,
    FetchLog,
    Item,
    KeywordRule,
    RuleMatch,
    Source,
    SourceDayCount,
)

WALL_STREAM_SIZE = 20
WALL_POLL_LIMIT = 50
RULE_TEST_SAMPLE = 500
RULE_TEST_SHOWN = 50
SENTIMENT_COLORS = {Sentiment.POSITIVE: "green", Sentiment.NEUTRAL: "secondary", Sentiment.NEGATIVE: "red"}
CHART_COLORS = {Sentiment.POSITIVE: "#2fb344", Sentiment.NEUTRAL: "#868e96", Sentiment.NEGATIVE: "#d63939"}


# --- permissions ------------------------------------------------------------------------------------


def opinion_view(func: Callable) -> Callable:
    """login + opinion.view; a refusal is a 403 (a refused POST is written to the audit log)."""

    @login_required
    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_perm(request.user, Perm.OPINION_VIEW):
            forbid(request, "无权查看舆情监测（需要舆情查看权限）")
        return func(request, *args, **kwargs)

    return wrapper


def _require_manage(request: HttpRequest, message: str = "无权执行此操作（需要舆情管理权限）") -> None:
    if not has_perm(request.user, Perm.OPINION_MANAGE):
        forbid(request, message)


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _sentiment_badge(item: Any) -> None:
    label = item.sentiment_label or item.sentiment
    item.effective_label = Sentiment(label).label if label in Sentiment.values else "未分析"
    item.sentiment_color = SENTIMENT_COLORS.get(label, "secondary")


def _present_items(items: Any) -> list[Item]:
    rows = list(items)
    for item in rows:
        _sentiment_badge(item)
    return rows


def _alert_model() -> Any:
    """B2's Alert, when the alerting part is installed (looked up lazily, not imported)."""
    from django.apps import apps

    try:
        return apps.get_model("opinion", "Alert")
    except LookupError:
        return None


def open_alert_counts(user: Any) -> dict[str, Any] | None:
    """Open alerts by colour in the user's scope (alerts without a unit are everyone's); one query."""
    alert = _alert_model()
    if alert is None:
        return None
    from opinion.models.alerts import LEVEL_COLORS, OPEN_ALERT_STATUSES, AlertLevel

    qs = alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
    units = scope_unit_ids(user, "view")
    if units is not None:
        qs = qs.filter(Q(unit__isnull=True) | Q(unit__in=sorted(units)))
    counts = dict(qs.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    levels = [{"code": code, "label": label, "color": LEVEL_COLORS.get(code, "secondary"),
               "count": counts.get(code, 0)} for code, label in AlertLevel.choices]
    return {"levels": levels, "total": sum(counts.values()), "url": _url_or_none("opinion:alert_list")}


def _url_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- the wall ---------------------------------------------------------------------------------------


def sentiment_trend(range_key: str) -> dict[str, Any]:
    """Items per hour (24 h) or per day (7 d) by sentiment, as an ECharts option; one query."""
    now = timezone.now()
    local_now = timezone.localtime(now)
    if range_key == "7d":
        start = (local_now - datetime.timedelta(days=6)).replace(hour=0, minute=0, second=0, microsecond=0)
        buckets = [start + datetime.timedelta(days=i) for i in range(7)]
        trunc, fmt = TruncDay("published_at"), "%m-%d"
    else:
        start = (local_now - datetime.timedelta(hours=23)).replace(minute=0, second=0, microsecond=0)
        buckets = [start + datetime.timedelta(hours=i) for i in range(24)]
        trunc, fmt = TruncHour("published_at"), "%H:00"
    rows = (with_effective_sentiment(visible_items().filter(published_at__gte=start, published_at__lte=now), select=True)
            .annotate(bucket=trunc).values("bucket", "effective").annotate(n=Count("id")).order_by())
    index = {b.strftime(fmt): i for i, b in enumerate(buckets)}
    series: dict[str, list[int]] = {code: [0] * len(buckets) for code in Sentiment.values}
    for row in rows:
        position = index.get(timezone.localtime(row["bucket"]).strftime(fmt)) if row["bucket"] else None
        if position is not None and row["effective"] in series:
            series[row["effective"]][position] += row["n"]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [str(label) for label in Sentiment.labels]},
        "grid": {"left": 40, "right": 20, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": [b.strftime(fmt) for b in buckets]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": str(Sentiment(code).label), "type": "bar", "stack": "all", "data": series[code],
                    "itemStyle": {"color": CHART_COLORS[code]}} for code in (Sentiment.NEGATIVE, Sentiment.NEUTRAL,
                                                                              Sentiment.POSITIVE)],
        "totals": {code: sum(values) for code, values in series.items()},
    }


def _wall_sources() -> list[Source]:
    """Sources with their items today (one query: a subquery per row, no per-row queries)."""
    from django.db.models import OuterRef, Subquery

    today = SourceDayCount.objects.filter(source=OuterRef("pk"), date=timezone.localdate()).values("new")[:1]
    sources = list(Source.objects.filter(enabled=True).annotate(today=Subquery(today)).order_by("-today", "name")[:12])
    for source in sources:
        source.failing = _failing(source)
    return sources


def _failing(source: Source) -> bool:
    """The last fetch failed: an error newer than the last success."""
    return bool(source.last_error_at and (not source.last_success_at or source.last_error_at >= source.last_success_at))


@opinion_view
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    range_key = "7d" if request.GET.get("range") == "7d" else "24h"
    poll = _poll_seconds(request)
    stream = _present_items(visible_items().select_related("source").order_by("-id")[:WALL_STREAM_SIZE])
    trend = sentiment_trend(range_key)
    totals = trend.pop("totals")
    context = {
        "page_title": "舆情监测",
        "tab": "wall",
        "stream": stream,
        "last_id": stream[0].pk if stream else 0,
        "trend_chart": trend,
        "trend_totals": totals,
        "range_key": range_key,
        "events": list(Event.objects.filter(status=EventStatus.ACTIVE).order_by("-heat", "-last_seen")[:8]),
        "sources": _wall_sources(),
        "alerts": open_alert_counts(request.user),
        "poll_seconds": poll,
    }
    return render(request, "opinion/wall/wall.html", context)


def _poll_seconds(request: HttpRequest) -> int:
    """Every 10 s; `?poll=n` (2…60) for a wall screen that wants it faster or slower."""
    try:
        return min(60, max(2, int(request.GET.get("poll", "10"))))
    except ValueError:
        return 10


@opinion_view
@require_GET
def wall_stream(request: HttpRequest) -> HttpResponse:
    """htmx poll: items that arrived since `after` (prepended), and the poller with the new mark."""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    new = _present_items(visible_items().filter(pk__gt=after).select_related("source").order_by("-id")[:WALL_POLL_LIMIT])
    return render(request, "opinion/wall/_stream_poll.html", {
        "new_items": new, "last_id": new[0].pk if new else after, "poll_seconds": _poll_seconds(request)})


# --- 工作台 panel -------------------------------------------------------------------------------------


def home_panel_context(request: HttpRequest) -> dict[str, Any]:
    """Today's items, negative share, top 3 events (+ open alerts): ≤ 3 queries, cached a minute."""
    key = "opinion:home_panel"
    figures = cache.get(key)
    if figures is None:
        start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
        counts = with_effective_sentiment(visible_items().filter(published_at__gte=start)).aggregate(
            total=Count("id"), negative=Count("id", filter=Q(effective=Sentiment.NEGATIVE)))
        events = list(Event.objects.filter(status=EventStatus.ACTIVE).order_by("-heat")
                      .values("id", "title", "heat", "item_count")[:3])
        figures = {"today": counts["total"], "negative": counts["negative"],
                   "negative_share": round(100 * counts["negative"] / counts["total"]) if counts["total"] else 0,
                   "events": events}
        cache.set(key, figures, 60)
    # Alerts are per user (unit scope): not in the shared cache.
    return {**figures, "alerts": open_alert_counts(request.user)}


# --- items ------------------------------------------------------------------------------------------


def _rule_choices(user: Any) -> list[tuple[int, str]]:
    return list(KeywordRule.objects.visible_to(user).order_by("name").values_list("id", "name"))


@opinion_view
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = parse_item_filters(request.GET)
    queryset = filter_items(visible_items(), filters, user).select_related("source", "event").order_by("-published_at", "-id")
    listing = paginate(request, queryset)
    listing["object_list"] = _present_items(listing["object_list"])
    partial = _partial(request)
    context = {
        "page_title": "舆情信息",
        "tab": "items",
        "filters": filters,
        "values": {k: request.GET.get(k, "") for k in ("q", "source", "sentiment", "relevant", "date_from",
                                                        "date_to", "rule")},
        **listing,
    }
    if not partial:
        context["source_choices"] = list(Source.objects.order_by("name").values_list("id", "name"))
        context["rule_choices"] = _rule_choices(user)
        context["sentiments"] = Sentiment.choices
    if partial:
        response = render(request, "opinion/items/_results.html", context)
        query = listing["querystring"]
        response["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
        return response
    return render(request, "opinion/items/list.html", context)


def _item_context(request: HttpRequest, item: Item, label_form: LabelForm | None = None) -> dict[str, Any]:
    user = request.user
    _sentiment_badge(item)
    original = item.repost_of or item
    reposts = _present_items(original.reposts.select_related("source").order_by("published_at", "id")[:100])
    matches = list(RuleMatch.objects.filter(item=item, rule__in=KeywordRule.objects.visible_to(user))
                   .select_related("rule", "rule__unit").order_by("rule__name"))
    return {
        "page_title": item.title,
        "tab": "items",
        "item": item,
        "original": original,
        "reposts": reposts,
        "matches": matches,
        "can_manage": has_perm(user, Perm.OPINION_MANAGE),
        "label_form": label_form or LabelForm(initial={"label": item.sentiment_label or item.sentiment or "neu"}),
    }


def _get_item(pk: int) -> Item:
    return get_object_or_404(Item.objects.select_related("source", "event", "repost_of__source", "labelled_by"), pk=pk)


@opinion_view
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "opinion/items/detail.html", _item_context(request, _get_item(pk)))


@opinion_view
@require_POST
def item_label(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request, "无权修改情感标注（需要舆情管理权限）")
    item = _get_item(pk)
    form = LabelForm(request.POST)
    if form.is_valid():
        from opinion.sentiment_service import do_label_item

        try:
            do_label_item(item, form.cleaned_data["label"], acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"已将情感标注为「{Sentiment(form.cleaned_data['label']).label}」")
            return redirect("opinion:item_detail", pk=item.pk)
    return render(request, "opinion/items/detail.html", _item_context(request, item, form), status=400)


# --- events -----------------------------------------------------------------------------------------


def _event_mix(event: Event) -> None:
    total = event.item_count or 1
    event.mix = [
        {"label": "负面", "color": "red", "count": event.negative, "pct": round(100 * event.negative / total, 1)},
        {"label": "中性", "color": "secondary", "count": event.neutral, "pct": round(100 * event.neutral / total, 1)},
        {"label": "正面", "color": "green", "count": event.positive, "pct": round(100 * event.positive / total, 1)},
    ]


@opinion_view
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    queryset = Event.objects.select_related("lead_item__source").order_by("-heat", "-last_seen")
    status = request.GET.get("status", "")
    if status in EventStatus.values:
        queryset = queryset.filter(status=status)
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        queryset = queryset.filter(title__icontains=q)
    listing = paginate(request, queryset)
    events = list(listing["object_list"])
    for event in events:
        _event_mix(event)
    listing["object_list"] = events
    return render(request, "opinion/events/list.html", {
        "page_title": "舆情事件", "tab": "events", "events": events, "status": status, "q": q,
        "statuses": EventStatus.choices, **listing})


def event_timeline(event: Event) -> dict[str, Any]:
    samples = list(EventHeat.objects.filter(event=event).order_by("at").values("at", "heat", "item_count", "negative")[:2000])
    labels = [timezone.localtime(s["at"]).strftime("%m-%d %H:%M") for s in samples]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["热度", "信息量", "负面"]},
        "grid": {"left": 50, "right": 50, "bottom": 30, "top": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": [{"type": "value", "name": "热度"}, {"type": "value", "name": "条", "minInterval": 1}],
        "series": [
            {"name": "热度", "type": "line", "smooth": True, "data": [round(s["heat"], 2) for s in samples],
             "itemStyle": {"color": "#f76707"}},
            {"name": "信息量", "type": "line", "yAxisIndex": 1, "data": [s["item_count"] for s in samples],
             "itemStyle": {"color": "#206bc4"}},
            {"name": "负面", "type": "line", "yAxisIndex": 1, "data": [s["negative"] for s in samples],
             "itemStyle": {"color": "#d63939"}},
        ],
    }


def event_items_by_source(items: list[Item]) -> list[dict[str, Any]]:
    groups: OrderedDict[int, dict[str, Any]] = OrderedDict()
    for item in items:
        group = groups.setdefault(item.source_id, {"source": item.source, "items": []})
        group["items"].append(item)
    return sorted(groups.values(), key=lambda g: -len(g["items"]))


def repost_chains(items: list[Item]) -> list[dict[str, Any]]:
    """Originals of the event with the reposts among the event's items, most reposted first."""
    by_id = {item.pk: item for item in items}
    chains: dict[int, dict[str, Any]] = {}
    for item in items:
        if item.repost_of_id:
            original = by_id.get(item.repost_of_id)
            if original is not None:
                chains.setdefault(original.pk, {"original": original, "reposts": []})["reposts"].append(item)
    return sorted(chains.values(), key=lambda c: -len(c["reposts"]))


EVENT_ITEMS_SHOWN = 500


@opinion_view
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.select_related("lead_item__source"), pk=pk)
    _event_mix(event)
    items = _present_items(Item.objects.filter(event=event).select_related("source")
                           .order_by("published_at", "id")[:EVENT_ITEMS_SHOWN])
    return render(request, "opinion/events/detail.html", {
        "page_title": event.title,
        "tab": "events",
        "event": event,
        "timeline_chart": event_timeline(event),
        "items": items,
        "groups": event_items_by_source(items),
        "chains": repost_chains(items),
        "can_manage": has_perm(request.user, Perm.OPINION_MANAGE),
        "shown_limit": EVENT_ITEMS_SHOWN,
    })


# --- keyword rules ----------------------------------------------------------------------------------


def _rule_or_404(request: HttpRequest, pk: int) -> KeywordRule:
    return KeywordRule.objects.select_related("unit").get_visible_or_404(request.user, "view", pk=pk)


@opinion_view
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(KeywordRule.objects.visible_to(request.user).select_related("unit")
                 .annotate(match_count=Count("matches")).order_by("unit__path", "name"))
    return render(request, "opinion/rules/list.html", {
        "page_title": "监测规则", "tab": "rules", "rules": rules,
        "can_manage": actions_monitor.can_manage_rules(request.user)})


def _rule_form_page(request: HttpRequest, form: RuleForm, rule: KeywordRule | None, status: int = 200) -> HttpResponse:
    expression = form["expression"].value() or ""
    return render(request, "opinion/rules/form.html", {
        "page_title": f"编辑规则：{rule.name}" if rule else "新建监测规则",
        "tab": "rules", "form": form, "rule": rule,
        "check": rule_check_context(expression, form["scope"].value() or "all") if expression else None,
    }, status=status)


def _rule_values(form: RuleForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"name": data["name"], "expression": data["expression"], "scope": data["scope"],
            "purpose": data["purpose"], "enabled": data["enabled"]}


@opinion_view
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    _require_manage(request, "无权新建监测规则（需要舆情管理权限）")
    user = request.user
    if request.method == "POST":
        form = RuleForm(request.POST, user=user)
        if form.is_valid():
            try:
                rule = actions_monitor.do_create_rule(unit=form.cleaned_data["unit"], **_rule_values(form),
                                                      acting_user=user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已新建规则「{rule.name}」")
                return redirect("opinion:rule_list")
        return _rule_form_page(request, form, None, status=400)
    from core.scoping import access_for

    return _rule_form_page(request, RuleForm(user=user, initial={"unit": access_for(user).own_unit_id,
                                                                 "enabled": True}), None)


@opinion_view
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule_or_404(request, pk)
    _require_manage(request, "无权修改监测规则（需要舆情管理权限）")
    user = request.user
    if request.method == "POST":
        form = RuleForm(request.POST, user=user)
        if form.is_valid():
            try:
                actions_monitor.do_update_rule(rule, unit=form.cleaned_data["unit"], **_rule_values(form),
                                               acting_user=user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已保存规则「{rule.name}」")
                return redirect("opinion:rule_list")
        return _rule_form_page(request, form, rule, status=400)
    form = RuleForm(user=user, initial={"name": rule.name, "unit": rule.unit_id, "expression": rule.expression,
                                        "scope": rule.scope, "purpose": rule.purpose, "enabled": rule.enabled})
    return _rule_form_page(request, form, rule)


@opinion_view
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule_or_404(request, pk)
    _require_manage(request, "无权启用或停用监测规则")
    actions_monitor.do_update_rule(rule, enabled=not rule.enabled, acting_user=request.user)
    messages.success(request, f"已{'启用' if rule.enabled else '停用'}规则「{rule.name}」")
    return redirect("opinion:rule_list")


@opinion_view
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule_or_404(request, pk)
    _require_manage(request, "无权删除监测规则")
    name = rule.name
    actions_monitor.do_delete_rule(rule, acting_user=request.user)
    messages.success(request, f"已删除规则「{name}」")
    return redirect("opinion:rule_list")


def caret_line(expression: str, position: int) -> str:
    """Spaces up to `position` (full-width under wide characters) and a caret: under a <pre>."""
    pad = "".join("\u3000" if _is_wide(ch) else ("\t" if ch == "\t" else " ") for ch in expression[:position])
    return pad + "^"


def _is_wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


def run_rule_test(expression: str, scope: str, limit: int = RULE_TEST_SAMPLE) -> dict[str, Any]:
    """Test the expression against the latest `limit` items: matched items with their terms."""
    from yishi_text.opinion.rules import test_rule

    sample = list(visible_items().select_related("source").order_by("-id")
                  .only("id", "title", "body", "published_at", "source__name", "sentiment", "sentiment_label")[:limit])
    results = test_rule(expression, scope, [(item.title, item.body) for item in sample])
    matched = []
    for item, terms in zip(sample, results, strict=True):
        if terms is not None:
            item.terms = terms
            matched.append(item)
    return {"sample_size": len(sample), "matched_count": len(matched), "matched": matched[:RULE_TEST_SHOWN]}


def rule_check_context(expression: str, scope: str) -> dict[str, Any]:
    expression = (expression or "").strip()
    if not expression:
        return {"empty": True}
    if len(expression) > actions_monitor.MAX_EXPRESSION:
        return {"too_long": True, "limit": actions_monitor.MAX_EXPRESSION}
    error = actions_monitor.rule_syntax_error(expression)
    if error is not None:
        position = max(0, min(error.position, len(expression)))
        return {"error": {"message": error.message, "position": position, "column": position + 1, "where": f"第 {position + 1} 个字符",
                          "expression": expression, "caret": caret_line(expression, position),
                          "before": expression[:position], "at": expression[position:position + 1],
                          "after": expression[position + 1:]}}
    return {"ok": True, "test": run_rule_test(expression, scope if scope in ("all", "title") else "all")}


@opinion_view
@require_POST
def rule_check(request: HttpRequest) -> HttpResponse:
    """htmx (the editor, debounced as the user types): syntax check with position, then a test run."""
    _require_manage(request, "无权试运行监测规则")
    context = rule_check_context(request.POST.get("expression", ""), request.POST.get("scope", "all"))
    return render(request, "opinion/rules/_check.html", {"check": context})


# --- sources ----------------------------------------------------------------------------------------


def _source_actions() -> Any:
    """B1's source actions (opinion.sources): create/update, token, fetch, import."""
    from opinion import sources

    return sources


def _last_days(n: int = 7) -> list[datetime.date]:
    today = timezone.localdate()
    return [today - datetime.timedelta(days=i) for i in range(n - 1, -1, -1)]


@opinion_view
@require_GET
def source_list(request: HttpRequest) -> HttpResponse:
    days = _last_days()
    sources = list(Source.objects.order_by("name").prefetch_related(
        Prefetch("day_counts", queryset=SourceDayCount.objects.filter(date__gte=days[0]), to_attr="recent_counts")))
    for source in sources:
        by_day = {c.date: c.new for c in source.recent_counts}
        source.per_day = [by_day.get(day, 0) for day in days]
        source.today = source.per_day[-1]
        source.week = sum(source.per_day)
        source.failing = _failing(source)
    return render(request, "opinion/sources/list.html", {
        "page_title": "信息源", "tab": "sources", "sources": sources, "days": days,
        "can_manage": has_perm(request.user, Perm.OPINION_MANAGE), "is_admin": is_admin(request.user)})


def _source_context(request: HttpRequest, source: Source, **extra: Any) -> dict[str, Any]:
    days = _last_days()
    counts = {c.date: c for c in SourceDayCount.objects.filter(source=source, date__gte=days[0])}
    return {
        "page_title": source.name, "tab": "sources", "source": source,
        "per_day": [{"date": d, "row": counts.get(d)} for d in days],
        "logs": list(FetchLog.objects.filter(source=source).order_by("-started_at")[:30]),
        "can_manage": has_perm(request.user, Perm.OPINION_MANAGE),
        "import_form": extra.pop("import_form", None) or ImportForm(),
        "push_url": request.build_absolute_uri("/api/opinion/push"),
        **extra,
    }


@opinion_view
@require_GET
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "opinion/sources/detail.html", _source_context(request, get_object_or_404(Source, pk=pk)))


def _source_values(form: SourceForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@opinion_view
@require_http_methods(["GET", "POST"])
def source_create(request: HttpRequest) -> HttpResponse:
    _require_manage(request, "无权新建信息源（需要舆情管理权限）")
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = _source_actions().do_create_source(**_source_values(form), acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"已新建信息源「{source.name}」")
            return redirect("opinion:source_detail", pk=source.pk)
    return render(request, "opinion/sources/form.html", {"page_title": "新建信息源", "tab": "sources", "form": form},
                  status=400 if request.method == "POST" else 200)


@opinion_view
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source, pk=pk)
    _require_manage(request, "无权修改信息源（需要舆情管理权限）")
    if request.method == "POST":
        form = SourceForm(request.POST)
        if form.is_valid():
            try:
                _source_actions().do_update_source(source, **_source_values(form), acting_user=request.user)
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, f"已保存信息源「{source.name}」")
                return redirect("opinion:source_detail", pk=source.pk)
    else:
        form = SourceForm(initial={f: getattr(source, f) for f in SourceForm.base_fields})
    return render(request, "opinion/sources/form.html", {"page_title": f"编辑信息源：{source.name}", "tab": "sources",
                                                         "form": form, "source": source},
                  status=400 if request.method == "POST" else 200)


@opinion_view
@require_POST
def source_fetch(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source, pk=pk)
    _require_manage(request, "无权抓取信息源")
    try:
        actions_monitor.do_request_fetch(source, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已安排抓取「{source.name}」，稍后刷新查看抓取记录")
    return redirect("opinion:source_detail", pk=source.pk)


@opinion_view
@require_POST
def source_token(request: HttpRequest, pk: int) -> HttpResponse:
    """A new push token, shown once (only its hash is stored)."""
    source = get_object_or_404(Source, pk=pk)
    _require_manage(request, "无权生成推送令牌")
    try:
        token = _source_actions().do_create_push_token(source, request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("opinion:source_detail", pk=source.pk)
    source.refresh_from_db()
    response = render(request, "opinion/sources/detail.html", _source_context(request, source, new_token=token))
    response["Cache-Control"] = "no-store"
    return response


@opinion_view
@require_POST
def source_import(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source, pk=pk)
    _require_manage(request, "无权导入舆情信息")
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = _source_actions().do_import_items(source, form.cleaned_data["file"], acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"导入完成：{_describe_result(result)}")
            return redirect("opinion:source_detail", pk=source.pk)
    return render(request, "opinion/sources/detail.html", _source_context(request, source, import_form=form),
                  status=400)


def _describe_result(result: Any) -> str:
    parts = []
    for attr, label in (("new", "新增"), ("duplicates", "重复"), ("skipped", "跳过")):
        value = getattr(result, attr, None)
        if value is None and isinstance(result, dict):
            value = result.get(attr)
        if isinstance(value, list | tuple | set):
            value = len(value)
        if value is not None:
            parts.append(f"{label} {value} 条")
    return "，".join(parts) or "已导入"


# --- fetch allow-list (administrators) --------------------------------------------------------------


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        forbid(request, "只有系统管理员可以管理内网抓取白名单")


@opinion_view
@require_http_methods(["GET", "POST"])
def allowlist(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = AllowlistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if FetchAllowlist.objects.filter(pattern=form.cleaned_data["pattern"]).exists():
            form.add_error("pattern", "该主机名或网段已在白名单中")
        else:
            FetchAllowlist.objects.create(**form.cleaned_data)  # AuditedModel: the create is audited
            messages.success(request, f"已允许抓取 {form.cleaned_data['pattern']}")
            return redirect("opinion:allowlist")
    return render(request, "opinion/sources/allowlist.html", {
        "page_title": "内网抓取白名单", "tab": "sources", "form": form,
        "entries": list(FetchAllowlist.objects.order_by("pattern"))},
        status=400 if request.method == "POST" else 200)


@opinion_view
@require_POST
def allowlist_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    entry = get_object_or_404(FetchAllowlist, pk=pk)
    entry.delete()
    messages.success(request, f"已移除 {entry.pattern}")
    return redirect("opinion:allowlist")

