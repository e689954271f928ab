"""Figures and documents built from the ledger: the leader overview's aggregates, the .xlsx ledger in
the layout offices keep (序号/任务/责任单位/责任人/完成时限/进展/状态), the per-user .ics feed and the
plan progress report (.docx, official-document layout).

Rates (docs/ledger.md explains them to users):

- 应完成: tasks whose due date has passed, plus tasks already done (early completions count);
- 完成率 = 已完成 / 应完成; 按时完成率 = 按时完成 / 应完成, where a task is done on time when the
  day (Beijing time) it was confirmed is on or before its due date.

Every figure comes from aggregate queries (Count with a filter), so the number of queries does not
depend on the number of tasks.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from ledger.actions import light_of, yellow_cutoff
from ledger.choices import OPEN_STATUSES, TaskStatus
from ledger.filters import LIGHT_LABELS, late_workdays, overdue_q, present, status_text
from ledger.models import Task

OVERDUE_LIST_SIZE = 20
REPORT_OVERDUE_ROWS = 100
TITLE_LINE_CHARS = 20


# --- the overview's figures -------------------------------------------------------------------------


def _metrics(today: datetime.date) -> dict[str, Count]:
    done = Q(status=TaskStatus.DONE)
    return {
        "total": Count("id"),
        "due": Count("id", filter=done | Q(due_date__lt=today)),
        "done": Count("id", filter=done),
        "on_time": Count("id", filter=done & Q(completed_at__date__lte=F("due_date"))),
        "overdue": Count("id", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
        "pending": Count("id", filter=Q(status=TaskStatus.PENDING_REVIEW)),
    }


def rate(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["completion_rate"] = rate(row["done"], row["due"])
    row["on_time_rate"] = rate(row["on_time"], row["due"])
    return row


def overview_stats(qs: QuerySet[Task], today: datetime.date | None = None, *,
                   overdue_limit: int = OVERDUE_LIST_SIZE) -> dict[str, Any]:
    """Totals and the breakdowns by unit, plan section and month of the due date, plus the most
    overdue open tasks: a fixed number of queries whatever the number of tasks.

    The counts come from ONE scan grouped by (unit, section, month); the three breakdowns and the
    totals are sums of those groups (every figure is a count), which is three times cheaper than a
    GROUP BY per breakdown over 100,000 tasks. The number of groups is bounded by units × sections ×
    months, not by the number of tasks."""
    from org.models import Unit
    from plans.models import Section

    today = today or timezone.localdate()
    metrics = _metrics(today)
    keys = list(metrics)
    groups = list(
        qs.order_by().annotate(month=TruncMonth("due_date"))
        .values("unit_id", "section_id", "month").annotate(**metrics)
    )

    def zero() -> dict[str, int]:
        return dict.fromkeys(keys, 0)

    totals, by_unit_ids, by_section_ids, by_month_keys = zero(), {}, {}, {}
    for group in groups:
        for bucket in (totals, by_unit_ids.setdefault(group["unit_id"], zero()),
                       by_section_ids.setdefault(group["section_id"], zero()),
                       by_month_keys.setdefault(group["month"], zero())):
            for key in keys:
                bucket[key] += group[key]

    units = {pk: (name, path) for pk, name, path in
             Unit.objects.filter(pk__in=sorted(by_unit_ids)).values_list("id", "name", "path")}
    by_unit = [
        _with_rates({"unit_id": pk, "label": units.get(pk, ("", ""))[0], **counts})
        for pk, counts in sorted(by_unit_ids.items(), key=lambda kv: units.get(kv[0], ("", ""))[1])
    ]
    section_ids = sorted(pk for pk in by_section_ids if pk is not None)
    sections = {row[0]: row for row in Section.objects.filter(pk__in=section_ids).values_list(
        "id", "number", "title", "plan_id", "plan__year")}

    def section_order(pk: int) -> tuple[int, int, int]:
        _, number, _, plan_id, year = sections.get(pk, (pk, 0, "", 0, 0))
        return -(year or 0), plan_id or 0, number  # newest plan first, then in the plan's order

    by_section = []
    for pk in sorted(section_ids, key=section_order):
        _, number, title, plan_id, year = sections.get(pk, (pk, 0, "", None, None))
        by_section.append(_with_rates({"section_id": pk, "plan_id": plan_id, "year": year,
                                       "label": f"{number}. {title}", **by_section_ids[pk]}))
    if None in by_section_ids:
        by_section.append(_with_rates({"section_id": None, "plan_id": None, "year": None,
                                       "label": "未关联板块（手工交办等）", **by_section_ids[None]}))
    by_month = [
        _with_rates({"month": month, "label": f"{month:%Y-%m}", **counts})
        for month, counts in sorted((m, c) for m, c in by_month_keys.items() if m is not None)
    ]
    late = present(
        qs.filter(overdue_q(today)).select_related("unit", "owner").defer("description", "quote")
        .order_by("due_date", "id")[:overdue_limit],
        today,
    )
    late_by = late_workdays((task.due_date for task in late), today)
    for task in late:
        task.late_workdays = late_by.get(task.due_date, 0)
    return {"today": today, "totals": _with_rates(totals), "by_unit": by_unit, "by_section": by_section,
            "by_month": by_month, "overdue": late}


def overview_charts(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """ECharts options (plain JSON: the page renders them through json_script and yishi.js)."""

    def bars(rows: list[dict[str, Any]], rotate: int) -> dict[str, Any]:
        return {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": ["完成率", "按时完成率"], "top": 0},
            "grid": {"left": 40, "right": 20, "top": 36, "bottom": 70, "containLabel": True},
            "xAxis": {"type": "category", "data": [r["label"] for r in rows],
                      "axisLabel": {"interval": 0, "rotate": rotate, "width": 90, "overflow": "truncate"}},
            "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "series": [
                {"name": "完成率", "type": "bar", "data": [r["completion_rate"] for r in rows],
                 "itemStyle": {"color": "#2fb344"}},
                {"name": "按时完成率", "type": "bar", "data": [r["on_time_rate"] for r in rows],
                 "itemStyle": {"color": "#206bc4"}},
            ],
        }

    unit = bars(stats["by_unit"], 30)
    section = bars(stats["by_section"], 20)
    months = stats["by_month"]
    month = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["到期任务数", "完成率", "按时完成率"], "top": 0},
        "grid": {"left": 40, "right": 40, "top": 36, "bottom": 30, "containLabel": True},
        "xAxis": {"type": "category", "data": [m["label"] for m in months]},
        "yAxis": [
            {"type": "value", "name": "项", "minInterval": 1},
            {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        ],
        "series": [
            {"name": "到期任务数", "type": "bar", "data": [m["total"] for m in months],
             "itemStyle": {"color": "#a8c6ea"}},
            {"name": "完成率", "type": "line", "yAxisIndex": 1, "data": [m["completion_rate"] for m in months],
             "itemStyle": {"color": "#2fb344"}, "connectNulls": True},
            {"name": "按时完成率", "type": "line", "yAxisIndex": 1, "data": [m["on_time_rate"] for m in months],
             "itemStyle": {"color": "#206bc4"}, "connectNulls": True},
        ],
    }
    return {"unit": unit, "section": section, "month": month}


# --- .xlsx ledger -----------------------------------------------------------------------------------

EXPORT_MAX_ROWS = 50_000


def ledger_columns() -> list[Any]:
    from core.exports.xlsx import Column

    return [
        Column("序号", 6, "number"),
        Column("任务", 42),
        Column("责任单位", 14),
        Column("责任人", 10),
        Column("完成时限", 12, "date"),
        Column("进展", 36),
        Column("状态", 14),
        Column("出处", 32),
        Column("灯色", 12),
    ]


def progress_text(task: Task) -> str:
    text = f"{task.done_count}/{task.target_count}"
    return f"{text}；{task.latest_progress}" if task.latest_progress else text


def ledger_rows(qs: QuerySet[Task], today: datetime.date, counter: dict[str, int],
                limit: int = EXPORT_MAX_ROWS) -> Iterator[tuple[Any, ...]]:
    """Rows streamed in chunks; `counter["rows"]` ends as the number of tasks written."""
    cutoff = yellow_cutoff(today)
    n = 0
    for task in qs.select_related("unit", "owner").defer("description")[: limit + 1].iterator(chunk_size=2000):
        if n == limit:
            yield (None, f"超过 {limit} 条，只导出了前 {limit} 条；请缩小筛选范围分批导出")
            break
        n += 1
        task.light = light_of(task, today, cutoff)
        task.is_overdue = task.light == "red"
        yield (
            n,
            task.title,
            task.unit.name,
            task.owner.name if task.owner_id else "",
            task.due_date,
            progress_text(task),
            status_text(task),
            task.origin,
            LIGHT_LABELS[task.light],
        )
    counter["rows"] = n


def build_task_ledger(qs: QuerySet[Task], *, title: str, subtitle: str, today: datetime.date) -> tuple[bytes, int]:
    from core.exports.xlsx import build_ledger

    counter = {"rows": 0}
    data = build_ledger(title, ledger_columns(), ledger_rows(qs, today, counter), subtitle=subtitle,
                        sheet_title="任务台账")
    return data, counter["rows"]


# --- .ics feed --------------------------------------------------------------------------------------

_ICS_SALT = "yishi.ledger.ics"
_TOKEN_RE = re.compile(r"^([1-9][0-9]{0,18})-([0-9a-f]{40})$")
# RFC 5545 §3.3.11: TEXT may hold any character but the controls (HTAB aside).
_ICS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def ics_token(user: Any) -> str:
    """The secret of a user's calendar feed: an HMAC (SECRET_KEY) of the id and the password hash,
    so the address changes when the password does, and revealing it never reveals the password."""
    digest = salted_hmac(_ICS_SALT, f"{user.pk}:{user.password}", algorithm="sha256").hexdigest()[:40]
    return f"{user.pk}-{digest}"


def user_for_ics_token(token: str) -> Any:
    from core.models import User

    match = _TOKEN_RE.match(token or "")
    if not match:
        return None
    user = User.objects.filter(pk=int(match.group(1)), is_active=True).first()
    if user is None or not constant_time_compare(ics_token(user), token):
        return None
    return user


def ics_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newlines."""
    text = _ICS_CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1): continuation lines start with one space,
    which counts towards their 75; a UTF-8 character is never split."""
    if len(line.encode("utf-8")) <= 75:
        return line
    parts: list[str] = []
    current, size, limit = [], 0, 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _utc_stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def build_ics(tasks: Iterable[Task], *, calendar_name: str, site_url: str | None = None,
              now: datetime.datetime | None = None) -> bytes:
    """An iCalendar feed: one all-day VEVENT per task on its due date, with reminders the day before
    and three days before (09:00 local, as the calendar shows the all-day event)."""
    site = (site_url or settings.YISHI_SITE_URL).rstrip("/")
    host = urlsplit(site).hostname or "yishi"
    stamp = _utc_stamp(now or timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Yishi//Ledger//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(calendar_name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for task in tasks:
        url = site + reverse("ledger:task_detail", args=[task.pk])
        details = [f"责任单位：{task.unit.name}"]
        if task.owner_id:
            details.append(f"责任人：{task.owner.name}")
        details.append(f"进展：{progress_text(task)}")
        if task.origin:
            details.append(f"出处：{task.origin}")
        details.append(url)
        end = task.due_date + datetime.timedelta(days=1)
        summary = ics_escape(task.title)
        lines += [
            "BEGIN:VEVENT",
            f"UID:ledger-task-{task.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"LAST-MODIFIED:{_utc_stamp(task.updated_at)}",
            f"SEQUENCE:{task.version}",
            f"DTSTART;VALUE=DATE:{task.due_date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{end:%Y%m%d}",
            f"SUMMARY:{summary}",
            f"DESCRIPTION:{ics_escape(chr(10).join(details))}",
            f"URL:{url}",
            f"CATEGORIES:{ics_escape('任务台账')}",
            "STATUS:CONFIRMED",
            "TRANSP:TRANSPARENT",
        ]
        for days, trigger in ((3, "-P2DT15H"), (1, "-PT15H")):
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"DESCRIPTION:{ics_escape(f'{days}天后到期：{task.title}')}",
                f"TRIGGER:{trigger}",
                "END:VALARM",
            ]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(ics_fold(line) for line in lines) + "\r\n").encode("utf-8")


# --- plan progress report (.docx) -------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def report_title(plan: Any) -> str:
    return f"{plan.title}落实情况报告"


def build_plan_report(plan: Any, qs: QuerySet[Task], *, today: datetime.date, scope_note: str = "",
                      signer: str = "") -> bytes:
    """The plan's progress report in the official-document layout: overall figures, completion by
    section, and the overdue tasks."""
    from core.exports.docx import OfficialDocument, format_chinese_date
    from plans.models import Section

    stats = overview_stats(qs, today, overdue_limit=REPORT_OVERDUE_ROWS)
    t = stats["totals"]
    title = report_title(plan)
    doc = OfficialDocument(title=title)
    # A title longer than one line (about 20 characters at 2号) breaks before 落实情况报告.
    doc.title(f"{plan.title}\n落实情况报告" if len(title) > TITLE_LINE_CHARS else title)
    doc.heading(1, "总体情况")
    doc.paragraph(
        f"截至{format_chinese_date(today)}，{plan.title}共分解任务{t['total']}项，"
        f"其中应完成（已到完成时限或已提前完成）{t['due']}项。已完成{t['done']}项，完成率{_pct(t['completion_rate'])}；"
        f"按时完成{t['on_time']}项，按时完成率{_pct(t['on_time_rate'])}；"
        f"逾期未完成{t['overdue']}项，待审核{t['pending']}项。"
    )
    if scope_note:
        doc.paragraph(scope_note)

    doc.heading(1, "分板块完成情况")
    sections = {s.pk: s for s in Section.objects.filter(plan=plan).order_by("number")}
    by_section = {r["section_id"]: r for r in stats["by_section"]}
    rows = []
    for section in sections.values():
        r = by_section.get(section.pk)
        if r is None:
            rows.append((f"{section.number}. {section.title}", 0, 0, 0, "—", "—", 0))
        else:
            rows.append((r["label"], r["total"], r["due"], r["done"], _pct(r["completion_rate"]),
                         _pct(r["on_time_rate"]), r["overdue"]))
    if None in by_section:
        r = by_section[None]
        rows.append((r["label"], r["total"], r["due"], r["done"], _pct(r["completion_rate"]),
                     _pct(r["on_time_rate"]), r["overdue"]))
    rows.append(("合计", t["total"], t["due"], t["done"], _pct(t["completion_rate"]), _pct(t["on_time_rate"]),
                 t["overdue"]))
    doc.table(["板块", "任务数", "应完成", "已完成", "完成率", "按时完成率", "逾期"], rows,
              widths_mm=[40, 17, 17, 17, 18, 29, 18])

    doc.heading(1, "逾期未完成事项")
    late = stats["overdue"]
    if late:
        doc.paragraph(f"截至{format_chinese_date(today)}，逾期未完成{t['overdue']}项"
                      + (f"，下表列出逾期最久的{len(late)}项。" if t["overdue"] > len(late) else "，详见下表。"))
        doc.table(
            ["序号", "任务", "责任单位", "完成时限", "逾期（工作日）", "最新进展"],
            [(i, task.title, task.unit.name, f"{task.due_date:%Y-%m-%d}", task.late_workdays, task.latest_progress or "—")
             for i, task in enumerate(late, start=1)],
            widths_mm=[13, 49, 24, 26, 20, 24],
        )
    else:
        doc.paragraph("无逾期未完成事项。")
    doc.signature(signer or plan.organization or str(plan.unit), today)
    return doc.to_bytes()


# --- overview cache ---------------------------------------------------------------------------------


def cached_overview_stats(user: Any, qs: QuerySet[Task], today: datetime.date, *, plan_id: Any, year: Any) -> dict[str, Any]:
    """overview_stats, reused per scope and filter until the next change (core.caching).

    The overview scans every visible task; leaders open it often and it changes slowly. The key holds
    the user's unit scope (not the user), so leaders with the same scope share it.
    """
    from core.caching import reuse
    from core.scoping import scope_key

    key = f"ledger:overview:{scope_key(user)}:{plan_id or ''}:{year or ''}:{today.isoformat()}"
    return reuse(key, lambda: overview_stats(qs, today), holder=user)
