"""The register as an .xlsx ledger (core.exports.xlsx), streamed for up to 50,000 rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from risks.models import Risk
from risks.selectors import RiskFilters

EXPORT_MAX_ROWS = 50_000


def register_columns() -> list[Any]:
    from core.exports.xlsx import Column

    return [
        Column("序号", 6, "number"),
        Column("风险名称", 30),
        Column("领域", 10),
        Column("来源", 10),
        Column("风险描述", 40),
        Column("可能性", 7, "number"),
        Column("影响", 7, "number"),
        Column("等级", 7),
        Column("责任单位", 14),
        Column("责任人", 10),
        Column("防控措施", 36),
        Column("整改时限", 12, "date"),
        Column("挂牌督办", 8),
        Column("状态", 10),
        Column("销号时间", 16, "datetime"),
    ]


def register_rows(qs: QuerySet[Risk], counter: dict[str, int], limit: int = EXPORT_MAX_ROWS) -> Iterator[tuple]:
    n = 0
    for risk in qs.select_related("unit", "owner", "domain")[: limit + 1].iterator(chunk_size=2000):
        if n == limit:
            yield (None, f"超过 {limit} 条，只导出了前 {limit} 条；请缩小筛选范围分批导出")
            break
        n += 1
        yield (n, risk.title, risk.domain.name, risk.get_source_display(), risk.description, risk.likelihood,
               risk.impact, risk.get_level_display(), risk.unit.name, risk.owner.name if risk.owner_id else "",
               risk.measures, risk.deadline, "是" if risk.is_flagged else "", risk.get_status_display(),
               risk.closed_at)
    counter["rows"] = n


def build_register(qs: QuerySet[Risk], *, user: Any, filters: RiskFilters) -> tuple[bytes, int]:
    from core.exports.xlsx import build_ledger

    counter = {"rows": 0}
    now = timezone.localtime()
    subtitle = f"导出人：{user}　导出时间：{now:%Y-%m-%d %H:%M}　范围：本人权限内可见的风险"
    if filters.errors:
        subtitle += "　（部分筛选条件无效，未生效）"
    qs = qs.defer(None)  # the export needs the long text columns the page defers
    data = build_ledger("风险隐患台账", register_columns(), register_rows(qs, counter), subtitle=subtitle,
                        sheet_title="风险隐患台账")
    return data, counter["rows"]
