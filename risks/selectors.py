"""Reading the register: filters, the open risks other modules use, the heat map, the trend and
the screening progress. Every query starts from `Risk.objects.visible_to(user)`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone

from risks.choices import LEVEL_COLORS, OPEN_STATUSES, CheckStatus, RiskLevel, RiskSource, RiskStatus
from risks.models import Risk, RiskDomain, ScreeningCampaign, SelfCheck

SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "level": ("风险等级", ("level_rank", "deadline", "id")),
    "deadline": ("整改时限", ("deadline", "id")),
    "recent": ("最近登记", ("-created_at", "-id")),
    "unit": ("责任单位", ("unit__path", "level_rank", "id")),
}
STATUS_FILTERS: dict[str, str] = {"open": "未销号", **dict(RiskStatus.choices), "overdue": "已超期"}
TREND_QUARTERS = 8


def open_risks(user: Any) -> models.QuerySet[Risk]:
    """Risks the user may see that are not closed (已销号), 重大 first, then by deadline."""
    return (Risk.objects.visible_to(user, "view").filter(status__in=OPEN_STATUSES)
            .order_by("level_rank", "deadline", "id"))


@dataclass
class RiskFilters:
    """Parsed register filters; invalid values are reported in `errors` and left out."""

    q: str = ""
    domain_id: int | None = None
    level: str = ""
    status: str = ""
    source: str = ""
    unit_ids: list[int] | None = None
    flagged: bool | None = None
    sort: str = "level"
    errors: list[str] = field(default_factory=list)

    def apply(self, qs: models.QuerySet[Risk], today: datetime.date | None = None) -> models.QuerySet[Risk]:
        today = today or timezone.localdate()
        if self.q:
            qs = qs.filter(Q(title__icontains=self.q) | Q(description__icontains=self.q))
        if self.domain_id:
            qs = qs.filter(domain_id=self.domain_id)
        if self.level:
            qs = qs.filter(level=self.level)
        if self.status == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif self.status == "overdue":
            qs = qs.filter(status__in=OPEN_STATUSES, deadline__lt=today)
        elif self.status:
            qs = qs.filter(status=self.status)
        if self.source:
            qs = qs.filter(source=self.source)
        if self.unit_ids is not None:
            qs = qs.filter(unit_id__in=self.unit_ids)
        if self.flagged is not None:
            qs = qs.filter(is_flagged=self.flagged)
        return qs.order_by(*SORTS[self.sort][1])


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < len(value) < 19 else None


def parse_filters(params: Any, user: Any, units: list[tuple[int, str, str]] | None = None) -> RiskFilters:
    """From query parameters (the page's, the export's); the unit filter covers the unit's subtree."""
    f = RiskFilters()
    f.q = (params.get("q") or "").strip()[:100]
    domain = (params.get("domain") or "").strip()
    if domain:
        f.domain_id = _int(domain)
        if f.domain_id is None:
            f.errors.append("领域无效")
    level = params.get("level") or ""
    if level and level not in RiskLevel.values:
        f.errors.append(f"风险等级“{level[:20]}”无效，可选：重大、较大、一般、低")
    else:
        f.level = level
    status = params.get("status") or ""
    if status and status not in STATUS_FILTERS:
        f.errors.append("状态无效")
    else:
        f.status = status
    source = params.get("source") or ""
    if source and source not in RiskSource.values:
        f.errors.append("来源无效")
    else:
        f.source = source
    flagged = params.get("flagged") or ""
    if flagged in ("1", "0"):
        f.flagged = flagged == "1"
    elif flagged:
        f.errors.append("挂牌督办条件无效")
    sort = params.get("sort") or "level"
    if sort not in SORTS:
        f.errors.append("排序方式无效")
    else:
        f.sort = sort
    unit = params.get("unit") or ""
    if unit:
        unit_id = _int(unit)
        rows = units if units is not None else unit_choices(user)
        path = next((p for pk, _, p in rows if pk == unit_id), None)
        if path is None:
            f.errors.append("单位不存在或不在您的权限范围内")
        else:
            f.unit_ids = [pk for pk, _, p in rows if p.startswith(path)]
    return f


def unit_choices(user: Any) -> list[tuple[int, str, str]]:
    """(id, indented name, path) of the units the user sees, for the filter select."""
    from org.models import Unit

    rows = Unit.objects.visible_to(user, "view").filter(is_active=True).order_by("path").values_list(
        "id", "name", "path", "depth")
    return [(pk, "\u3000" * max(depth - 1, 0) + name, path) for pk, name, path, depth in rows]


def domain_choices() -> list[tuple[int, str]]:
    return list(RiskDomain.objects.filter(is_active=True).values_list("id", "name"))


def register(user: Any, filters: RiskFilters, today: datetime.date | None = None) -> models.QuerySet[Risk]:
    """The register rows for a list page or an export: what the user sees, filtered."""
    qs = filters.apply(Risk.objects.visible_to(user, "view"), today)
    return qs.select_related("unit", "owner", "domain").defer("description", "measures", "close_note")


# --- heat map and trend -----------------------------------------------------------------------------


def _cached(user: Any, name: str, compute: Any) -> Any:
    """Figures per scope, reused until the next change (core.caching)."""
    from core.caching import reuse
    from core.scoping import scope_key

    return reuse(f"risks:{name}:{scope_key(user)}", compute, holder=user)


def heatmap(user: Any, include_closed: bool = False) -> dict[str, Any]:
    """Counts by domain × level over the risks the user sees (one GROUP BY), not yet closed by default."""

    def compute() -> dict[str, Any]:
        qs = Risk.objects.visible_to(user, "view")
        if not include_closed:
            qs = qs.filter(status__in=OPEN_STATUSES)
        counts = {(d, lv): n for d, lv, n in qs.values_list("domain_id", "level").annotate(n=Count("id")).order_by()}
        domains = list(RiskDomain.objects.order_by("sort_order", "id").values_list("id", "name", "is_active"))
        domains = [(pk, name) for pk, name, active in domains if active or any(k[0] == pk for k in counts)]
        levels = [(v, str(label)) for v, label in RiskLevel.choices]
        rows = []
        for pk, name in domains:
            cells = [{"level": v, "label": label, "count": counts.get((pk, v), 0), "color": LEVEL_COLORS[v]}
                     for v, label in levels]
            rows.append({"domain_id": pk, "domain": name, "cells": cells, "total": sum(c["count"] for c in cells)})
        totals = [sum(counts.get((pk, v), 0) for pk, _ in domains) for v, _ in levels]
        return {"domains": rows, "levels": levels, "totals": totals, "total": sum(totals)}

    return _cached(user, f"heatmap{int(include_closed)}", compute)


def _quarter(d: datetime.date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3 + 1


def trend(user: Any, today: datetime.date | None = None, quarters: int = TREND_QUARTERS) -> list[dict[str, Any]]:
    """New and closed risks per quarter, the last `quarters` quarters (two grouped queries)."""
    from django.db.models.functions import TruncQuarter

    today = today or timezone.localdate()
    year, q = _quarter(today)
    keys = []
    for _ in range(quarters):
        keys.append((year, q))
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    keys.reverse()
    start = datetime.date(keys[0][0], (keys[0][1] - 1) * 3 + 1, 1)
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min), tz)

    def compute() -> list[dict[str, Any]]:
        qs = Risk.objects.visible_to(user, "view")
        new = (qs.filter(created_at__gte=start_at).annotate(qt=TruncQuarter("created_at", tzinfo=tz))
               .values_list("qt").annotate(n=Count("id")).order_by())
        closed = (qs.filter(closed_at__gte=start_at).annotate(qt=TruncQuarter("closed_at", tzinfo=tz))
                  .values_list("qt").annotate(n=Count("id")).order_by())
        new_by = {_quarter(_as_date(k)): n for k, n in new}
        closed_by = {_quarter(_as_date(k)): n for k, n in closed}
        return [{"label": f"{y}年Q{qq}", "new": new_by.get((y, qq), 0), "closed": closed_by.get((y, qq), 0)}
                for y, qq in keys]

    return _cached(user, f"trend{quarters}", compute)


def _as_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


# --- screening progress -----------------------------------------------------------------------------


def campaigns_for(user: Any) -> models.QuerySet[ScreeningCampaign]:
    """Campaigns are organ-wide notices: everyone sees the list; what they can open is their self-checks."""
    return ScreeningCampaign.objects.all()


def campaign_progress(campaign: ScreeningCampaign, user: Any) -> dict[str, Any]:
    """Who has filled in and who has not. Coordinators see the status of every target unit (status and
    counts only: the answers stay with each unit); others see the self-checks in their scope."""
    from risks.actions import is_coordinator

    qs = SelfCheck.objects.filter(campaign=campaign)
    if not is_coordinator(user):
        qs = SelfCheck.objects.visible_to(user, "view").filter(campaign=campaign)
    rows = list(qs.select_related("unit", "submitted_by").annotate(
        risks=Count("answers", filter=Q(answers__result="risk"))).order_by("unit__path"))
    counts = {s: 0 for s in CheckStatus.values}
    for row in rows:
        counts[row.status] += 1
    return {"checks": rows, "counts": counts, "total": len(rows),
            "missing": [r for r in rows if r.status != CheckStatus.SUBMITTED]}
