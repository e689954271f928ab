"""A task's light, status and progress badges, written in Python: they appear on every row of the
ledger lists, where an {% include %} per cell cost more than the page's queries."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from core.templatetags.yishi import pk_url
from ledger.choices import OVERDUE, TaskStatus

register = template.Library()

_LIGHTS = {  # light → (badge class, text)
    "red": ("bg-red text-red-fg", "红灯"),
    "yellow": ("bg-yellow text-yellow-fg", "黄灯"),
    "green": ("bg-green text-green-fg", "绿灯"),
}
_BLUE = ("bg-blue text-blue-fg", "蓝灯")
_STATUS_BADGES = {
    OVERDUE: "bg-red-lt",
    TaskStatus.DONE: "bg-green-lt",
    TaskStatus.PENDING_REVIEW: "bg-orange-lt",
    TaskStatus.IN_PROGRESS: "bg-azure-lt",
}


@register.simple_tag
def task_light(task: Any) -> SafeString:
    """蓝 normal, 黄 due soon, 红 overdue, 绿 done (after ledger.filters.present)."""
    css, text = _LIGHTS.get(task.light, _BLUE)
    return format_html('<span class="badge {} text-nowrap" data-light="{}" title="{}">{}</span>',
                       css, task.light, task.light_label, text)


@register.simple_tag
def task_status(task: Any) -> SafeString:
    """The displayed status: 已逾期 replaces the stored state of an open task past its due date,
    which stays visible beside it."""
    shown = task.display_status
    badge = format_html('<span class="badge {} text-nowrap" data-status="{}">{}</span>',
                        _STATUS_BADGES.get(shown, "bg-secondary-lt"), shown, task.display_status_label)
    if shown == OVERDUE and task.status != TaskStatus.NOT_STARTED:
        badge += format_html('<span class="small text-secondary ms-1 text-nowrap">{}</span>',
                             task.get_status_display())
    return badge


@register.simple_tag
def task_progress(task: Any) -> SafeString:
    """N/target with a thin bar."""
    bar = {"green": "bg-green", "red": "bg-red"}.get(task.light, "bg-primary")
    return format_html(
        '<div class="text-nowrap small" data-progress="{0}/{1}">{0}/{1}</div>'
        '<div class="progress progress-sm" style="min-width:4rem"><div class="progress-bar {2}" '
        'style="width: {3}%" role="progressbar" aria-valuenow="{3}" aria-valuemin="0" aria-valuemax="100" '
        'aria-label="进度 {3}%"></div></div>',
        task.done_count, task.target_count, bar, task.progress_percent)


def _task_row(task: Any) -> tuple[Any, ...]:
    origin = task.origin
    return (
        task.pk, task_light(task), pk_url("ledger:task_detail", task.pk), task.title,
        format_html('<div class="small text-secondary">{}</div>', Truncator(origin).chars(60)) if origin else "",
        task.unit.name, (task.owner.name if task.owner_id else "") or "—", f"{task.due_date:%Y-%m-%d}",
        task_progress(task), task_status(task),
    )


@register.simple_tag
def task_rows(tasks: Any) -> SafeString:
    """The ledger list's <tr>s (after ledger.filters.present). A template loop cost ~0.2 ms a row,
    more than the page's queries; the markup is the one the template had."""
    return format_html_join(
        "\n", '<tr data-task="{}"><td>{}</td><td><a href="{}">{}</a>{}</td>'
        '<td class="text-nowrap">{}</td><td class="text-nowrap">{}</td><td class="text-nowrap">{}</td>'
        '<td>{}</td><td>{}</td></tr>',
        (_task_row(t) for t in tasks),
    )
