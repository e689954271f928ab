"""Reports: the incident ledger (.xlsx) and the daily / weekly / special reports (.docx, GB/T 9704
layout through core.exports.docx) with charts drawn by matplotlib as PNG images.

Reports are generated in the background (`generate_report` task) and stored as OpinionReport rows
with the file in the default storage; `daily_report` (jobs_incidents) makes yesterday's each morning.

Charts: the server has no CJK font unless one is installed (fonts-noto-cjk); matplotlib would then
draw Chinese labels as empty boxes, so without one the charts carry English/number labels and the
Chinese caption is written under the picture in the document (Word renders that with its own fonts).
"""

from __future__ import annotations

import datetime
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core import audit
from core.audit import deny
from core.tasking import enqueue_on_commit, task
from opinion import incidents as rules
from opinion.choices import Sentiment
from opinion.models import Alert, Event, Incident, Item, OpinionReport
from opinion.models.alerts import AlertLevel
from opinion.models.incidents import OPEN_STAGES
from opinion.models.reports import ReportKind, ReportStatus

EXPORT_MAX_ROWS = 50_000
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "SimHei", "Microsoft YaHei", "AR PL UMing CN")


# --- the incident ledger (.xlsx) ----------------------------------------------------------------------


def ledger_columns() -> list[Any]:
    from core.exports.xlsx import Column

    return [
        Column("序号", 6, "number"),
        Column("事项", 34),
        Column("级别", 7),
        Column("环节", 8),
        Column("受理单位", 14),
        Column("责任人", 10),
        Column("受理时间", 16, "datetime"),
        Column("本环节时限", 16, "datetime"),
        Column("研判意见", 36),
        Column("处置措施", 36),
        Column("回应口径", 36),
        Column("反馈结果", 36),
        Column("办结时间", 16, "datetime"),
    ]


def ledger_rows(qs: QuerySet[Incident], counter: dict[str, int], limit: int = EXPORT_MAX_ROWS) -> Iterator[tuple]:
    n = 0
    rows = qs.select_related("unit", "owner").prefetch_related("statements")[: limit + 1]
    for incident in rows:
        if n == limit:
            yield (None, f"超过 {limit} 条，只导出了前 {limit} 条；请缩小筛选范围分批导出")
            break
        n += 1
        statements = "\n".join(s.text for s in incident.statements.all())
        yield (n, incident.title, incident.get_level_display(), incident.get_stage_display(), incident.unit.name,
               incident.owner.name if incident.owner_id else "", incident.created_at,
               incident.stage_due_at if incident.is_open else None, incident.analysis, incident.measures,
               statements, incident.outcome, incident.closed_at)
    counter["rows"] = n


def build_ledger(qs: QuerySet[Incident], *, user: Any) -> tuple[bytes, int]:
    from core.exports.xlsx import build_ledger as build

    counter = {"rows": 0}
    now = timezone.localtime()
    subtitle = f"导出人：{user}　导出时间：{now:%Y-%m-%d %H:%M}　范围：本人权限内可见的处置事项"
    data = build("舆情处置台账", ledger_columns(), ledger_rows(qs, counter), subtitle=subtitle,
                 sheet_title="舆情处置台账")
    return data, counter["rows"]


# --- figures of a period ------------------------------------------------------------------------------


@dataclass
class Figures:
    start: datetime.datetime
    end: datetime.datetime
    total: int = 0
    sentiment: dict[str, int] = field(default_factory=dict)
    trend: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    lo = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    hi = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min))
    return lo, hi


def _sentiment_counts(items: QuerySet[Item]) -> dict[str, int]:
    neg = Q(sentiment_label=Sentiment.NEGATIVE) | Q(sentiment_label="", sentiment=Sentiment.NEGATIVE)
    pos = Q(sentiment_label=Sentiment.POSITIVE) | Q(sentiment_label="", sentiment=Sentiment.POSITIVE)
    row = items.aggregate(total=Count("id"), neg=Count("id", filter=neg), pos=Count("id", filter=pos))
    return {"pos": row["pos"], "neg": row["neg"], "neu": row["total"] - row["pos"] - row["neg"]}


def _trend(items: QuerySet[Item], start: datetime.datetime, end: datetime.datetime) -> list[tuple[str, int]]:
    """Items per hour (one day) or per day (longer), counted in Python over one column."""
    hourly = (end - start) <= datetime.timedelta(days=1)
    counts: Counter[str] = Counter()
    for at in items.values_list("published_at", flat=True).iterator(chunk_size=5000):
        local = timezone.localtime(at)
        counts[f"{local:%H}" if hourly else f"{local:%m-%d}"] += 1
    if hourly:
        return [(f"{h:02d}", counts.get(f"{h:02d}", 0)) for h in range(24)]
    labels = []
    day = timezone.localtime(start).date()
    while timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)) < end:
        labels.append(f"{day:%m-%d}")
        day += datetime.timedelta(days=1)
    return [(label, counts.get(label, 0)) for label in labels]


def period_figures(start: datetime.date, end: datetime.date, *, event: Event | None = None) -> Figures:
    lo, hi = _bounds(start, end)
    items = Item.objects.filter(stage="done", published_at__gte=lo, published_at__lt=hi)
    if event is not None:
        items = Item.objects.filter(event=event).exclude(stage="skipped")
        lo = min(lo, event.first_seen)
        hi = max(hi, event.last_seen + datetime.timedelta(seconds=1))
    figures = Figures(lo, hi)
    figures.sentiment = _sentiment_counts(items)
    figures.total = sum(figures.sentiment.values())
    figures.trend = _trend(items, lo, hi)
    figures.sources = [(row["source__name"], row["n"]) for row in
                       items.values("source__name").annotate(n=Count("id")).order_by("-n", "source__name")[:10]]
    if event is None:
        figures.events = list(Event.objects.filter(items__in=items).annotate(n=Count("items"))
                              .order_by("-n", "-heat")[:10])
        alerts = Alert.objects.filter(created_at__gte=lo, created_at__lt=hi)
        incidents = Incident.objects.filter(Q(created_at__gte=lo, created_at__lt=hi) |
                                            Q(stage__in=OPEN_STAGES, created_at__lt=hi) |
                                            Q(closed_at__gte=lo, closed_at__lt=hi))
    else:
        alerts = Alert.objects.filter(event=event)
        incidents = Incident.objects.filter(event=event)
    figures.alerts = dict(alerts.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    figures.incidents = list(incidents.select_related("unit").order_by("created_at", "id"))
    return figures


# --- charts -------------------------------------------------------------------------------------------


def cjk_font() -> str | None:
    """The name of an installed CJK font matplotlib can use, if any."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=120)
    return fig, ax


def _png(fig: Any) -> bytes:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def sentiment_chart(counts: dict[str, int]) -> bytes:
    zh = cjk_font() is not None
    labels = ["正面", "中性", "负面"] if zh else ["Positive", "Neutral", "Negative"]
    values = [counts.get("pos", 0), counts.get("neu", 0), counts.get("neg", 0)]
    fig, ax = _figure()
    bars = ax.barh(labels, values, color=["#2fb344", "#9aa0ac", "#d63939"])
    ax.bar_label(bars, labels=[str(v) for v in values], padding=3)
    ax.set_xlabel("信息条数" if zh else "items")
    ax.set_xlim(0, max(values + [1]) * 1.15)
    ax.invert_yaxis()
    return _png(fig)


def trend_chart(points: list[tuple[str, int]], *, hourly: bool) -> bytes:
    zh = cjk_font() is not None
    fig, ax = _figure()
    xs = list(range(len(points)))
    ax.plot(xs, [v for _, v in points], marker="o", markersize=3, color="#206bc4")
    ax.fill_between(xs, [v for _, v in points], alpha=0.15, color="#206bc4")
    step = max(1, len(points) // 12)
    ax.set_xticks(xs[::step], [label for label, _ in points][::step], fontsize=8)
    ax.set_xlabel(("时" if hourly else "日期") if zh else ("hour" if hourly else "date"))
    ax.set_ylabel("信息条数" if zh else "items")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return _png(fig)


# --- the documents ------------------------------------------------------------------------------------


def _picture(doc: Any, png: bytes, caption: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm

    from core.exports.docx import _no_grid

    paragraph = doc.document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # Body paragraphs have an exact 28.95 pt line: a picture in one would be cut to a strip.
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.first_line_indent = Mm(0)
    _no_grid(paragraph)
    paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(150))
    doc.paragraph(caption, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)


def _share(n: int, total: int) -> str:
    return f"{n / total:.0%}" if total else "0%"


def _overview(doc: Any, figures: Figures, what: str) -> None:
    s, total = figures.sentiment, figures.total
    text = (f"{what}共监测到相关信息 {total} 条，其中正面 {s.get('pos', 0)} 条（{_share(s.get('pos', 0), total)}），"
            f"中性 {s.get('neu', 0)} 条（{_share(s.get('neu', 0), total)}），负面 {s.get('neg', 0)} 条"
            f"（{_share(s.get('neg', 0), total)}）。")
    if figures.alerts:
        parts = [f"{AlertLevel(level).label} {figures.alerts[level]} 条" for level in AlertLevel.values
                 if figures.alerts.get(level)]
        text += f"发出预警 {sum(figures.alerts.values())} 条（{'，'.join(parts)}）。"
    else:
        text += "未发出预警。"
    doc.paragraph(text)


def _incident_table(doc: Any, incidents: list[Incident]) -> None:
    if not incidents:
        doc.paragraph("本期无舆情处置事项。")
        return
    doc.table(["序号", "事项", "级别", "受理单位", "当前环节"],
              [(i, x.title, x.get_level_display(), x.unit.name, x.get_stage_display())
               for i, x in enumerate(incidents, start=1)], widths_mm=[13, 75, 18, 28, 22])


def _sources_table(doc: Any, sources: list[tuple[str, int]], total: int) -> None:
    if not sources:
        doc.paragraph("本期无信息来源数据。")
        return
    doc.table(["序号", "信息来源", "信息量", "占比"],
              [(i, name, n, _share(n, total)) for i, (name, n) in enumerate(sources, start=1)],
              widths_mm=[15, 81, 30, 30])


def build_period_report(report: OpinionReport, *, org: str) -> bytes:
    from core.exports.docx import OfficialDocument, format_chinese_date

    figures = period_figures(report.period_start, report.period_end)
    daily = report.kind == ReportKind.DAILY
    doc = OfficialDocument(title=report.title)
    doc.title(report.title)
    if daily:
        span = format_chinese_date(report.period_start)
    else:
        span = f"{format_chinese_date(report.period_start)}至{format_chinese_date(report.period_end)}"
    doc.heading(1, "总体情况")
    _overview(doc, figures, span)
    _picture(doc, sentiment_chart(figures.sentiment), "图1　情感分布")
    _picture(doc, trend_chart(figures.trend, hourly=daily), f"图2　信息量走势（{'按小时' if daily else '按日'}）")
    doc.heading(1, "重点事件")
    if figures.events:
        doc.table(["序号", "事件", "本期信息量", "热度", "负面"],
                  [(i, e.title, e.n, f"{e.heat:.1f}", e.negative) for i, e in enumerate(figures.events, start=1)],
                  widths_mm=[13, 85, 22, 18, 18])
    else:
        doc.paragraph("本期无重点事件。")
    doc.heading(1, "信息来源")
    _sources_table(doc, figures.sources, figures.total)
    doc.heading(1, "处置情况")
    _incident_table(doc, figures.incidents)
    doc.signature(org, timezone.localdate())
    return doc.to_bytes()


def build_special_report(report: OpinionReport, *, org: str) -> bytes:
    from core.exports.docx import OfficialDocument

    event = report.event
    if event is None:
        raise ValidationError("专报须指定舆情事件")
    figures = period_figures(report.period_start, report.period_end, event=event)
    doc = OfficialDocument(title=report.title)
    doc.title(report.title)
    doc.heading(1, "事件概况")
    first, last = timezone.localtime(event.first_seen), timezone.localtime(event.last_seen)
    doc.paragraph(f"该事件首发于 {first:%Y年%m月%d日 %H:%M}，最近动态 {last:%Y年%m月%d日 %H:%M}，"
                  f"累计信息 {event.item_count} 条、转载 {event.repost_count} 次，涉及来源 {event.source_count} 个，"
                  f"当前热度 {event.heat:.1f}。" + (f"关键词：{'、'.join(event.keywords[:8])}。" if event.keywords else ""))
    _overview(doc, figures, "事件期间")
    _picture(doc, sentiment_chart(figures.sentiment), "图1　情感分布")
    _picture(doc, trend_chart(figures.trend, hourly=(figures.end - figures.start) <= datetime.timedelta(days=1)),
             "图2　信息量走势")
    doc.heading(1, "传播时间线")
    timeline = list(event.items.exclude(stage="skipped").select_related("source").order_by("published_at", "id")[:30])
    if timeline:
        doc.table(["时间", "来源", "标题"], [(f"{timezone.localtime(i.published_at):%m-%d %H:%M}", i.source.name, i.title)
                                        for i in timeline], widths_mm=[28, 36, 92])
    else:
        doc.paragraph("暂无信息。")
    doc.heading(1, "信息来源")
    _sources_table(doc, figures.sources, figures.total)
    doc.heading(1, "转载链")
    originals = list(event.items.filter(repost_of__isnull=True).exclude(stage="skipped")
                     .annotate(n=Count("reposts")).filter(n__gt=0).select_related("source").order_by("-n")[:10])
    if originals:
        doc.table(["原文", "来源", "转载数"], [(o.title, o.source.name, o.n) for o in originals], widths_mm=[96, 36, 24])
    else:
        doc.paragraph("未发现转载。")
    doc.heading(1, "处置情况")
    _incident_table(doc, figures.incidents)
    doc.signature(org, timezone.localdate())
    return doc.to_bytes()


# --- requesting and generating ------------------------------------------------------------------------


def default_title(kind: str, start: datetime.date, end: datetime.date, event: Event | None = None) -> str:
    if kind == ReportKind.DAILY:
        return f"舆情日报（{start:%Y年%m月%d日}）"
    if kind == ReportKind.WEEKLY:
        return f"舆情周报（{start:%Y年%m月%d日}至{end:%m月%d日}）"
    return f"舆情专报：{event.title if event else ''}"[:300]


def period_for(kind: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Daily: yesterday; weekly: last Monday–Sunday; special: up to today."""
    if kind == ReportKind.DAILY:
        day = today - datetime.timedelta(days=1)
        return day, day
    if kind == ReportKind.WEEKLY:
        monday = today - datetime.timedelta(days=today.weekday() + 7)
        return monday, monday + datetime.timedelta(days=6)
    return today, today


def do_request_report(*, kind: str, acting_user: Any, event: Event | None = None, start: datetime.date | None = None,
                      end: datetime.date | None = None, run_now: bool = False) -> OpinionReport:
    """Queue a report (generated by a worker once this transaction commits; `run_now` in-process)."""
    if not rules.can_manage(acting_user) and not getattr(acting_user, "is_system", False):
        deny(acting_user, "仅舆情分析员可生成报告", object_type="opinion.opinionreport")
    if kind not in ReportKind.values:
        raise ValidationError({"kind": "报告类型无效"})
    if kind == ReportKind.SPECIAL and event is None:
        raise ValidationError({"event": "专报须选择舆情事件"})
    today = timezone.localdate()
    default_start, default_end = period_for(kind, today)
    start, end = start or default_start, end or default_end
    if kind == ReportKind.SPECIAL:
        start = timezone.localtime(event.first_seen).date()
        end = max(start, timezone.localtime(event.last_seen).date())
    if end < start:
        raise ValidationError({"end": "截止日期不能早于起始日期"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        report = OpinionReport.objects.create(kind=kind, period_start=start, period_end=end,
                                              event=event if kind == ReportKind.SPECIAL else None,
                                              title=default_title(kind, start, end, event),
                                              created_by=acting_user if getattr(acting_user, "pk", None) else None)
        if not run_now:
            enqueue_on_commit(generate_report, report.pk)
    if run_now:
        generate(report.pk)
        report.refresh_from_db()
    return report


def _org_name() -> str:
    from org.models import Unit

    root = Unit.objects.filter(parent__isnull=True).order_by("path").only("name").first()
    return root.name if root else "舆情监测工作组"


def generate(report_id: int) -> str:
    """Build the document and store it; a failure is recorded on the report, never lost."""
    report = OpinionReport.objects.select_related("event").filter(pk=report_id).first()
    if report is None or report.status == ReportStatus.DONE:
        return "skipped"
    with audit.system_context(via="task"):
        try:
            builder = build_special_report if report.kind == ReportKind.SPECIAL else build_period_report
            data = builder(report, org=_org_name())
        except Exception as exc:  # noqa: BLE001 - shown on the reports page
            report.status, report.error = ReportStatus.FAILED, f"{exc.__class__.__name__}: {exc}"[:2000]
            report.finished_at = timezone.now()
            report.save()
            return "failed"
        with transaction.atomic():
            report.file.save(f"report-{report.pk}-{report.kind}-{report.period_start:%Y%m%d}.docx",
                             ContentFile(data), save=False)
            report.size, report.status, report.error = len(data), ReportStatus.DONE, ""
            report.finished_at = timezone.now()
            report.save()
    return "done"


@task()
def generate_report(report_id: int) -> str:
    return generate(report_id)


def make_daily_report(today: datetime.date | None = None) -> OpinionReport | None:
    """Yesterday's daily report, once (the morning job)."""
    today = today or timezone.localdate()
    start, end = period_for(ReportKind.DAILY, today)
    if OpinionReport.objects.filter(kind=ReportKind.DAILY, period_start=start, status=ReportStatus.DONE).exists():
        return None
    with audit.system_context(via="task"):
        return do_request_report(kind=ReportKind.DAILY, acting_user=audit.system_user(), start=start, end=end,
                                 run_now=True)
