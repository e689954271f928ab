"""审计日志: the filterable log, its .xlsx export and chain verification (Perm.AUDIT_VIEW only).

A refused visit is itself written to the log (AuditAction.DENIED), and so is every export.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core import audit
from core.exports.xlsx import Column, build_ledger, xlsx_response
from core.forms import StyledForm
from core.listing import paginate
from core.models import AuditAction, AuditEntry
from core.roles import Perm
from core.scoping import has_perm

# An export is one request; beyond this many rows it is cut off (and says so) rather than
# holding a web thread for minutes. Narrow the filter to export older entries.
EXPORT_MAX_ROWS = 100_000
VALUE_MAX_CHARS = 120
EMPTY = "（空）"

# Keys that record() callers put into `changes` themselves (not model fields).
EXTRA_LABELS = {
    "reason": "原因",
    "path": "地址",
    "method": "请求方式",
    "failures": "连续失败次数",
    "locked_until": "锁定至",
    "rows": "行数",
    "filters": "筛选条件",
}
REASON_LABELS = {
    "locked": "账户已锁定",
    "unknown_account": "账户不存在",
    "inactive": "账户已停用",
    "wrong_password": "密码错误",
}
VIA_LABELS = {"web": "网页", "api": "接口", "task": "后台任务", "command": "命令"}


def _require_audit_view(request: HttpRequest) -> None:
    if not has_perm(request.user, Perm.AUDIT_VIEW):
        audit.record(
            AuditAction.DENIED,
            object_type="core.auditentry",
            object_repr="审计日志",
            changes={"path": request.path, "method": request.method},
        )
        raise PermissionDenied("仅系统管理员可查看审计日志")


# --- filters --------------------------------------------------------------------------------------


class AuditFilterForm(StyledForm):
    actor = forms.CharField(
        label="操作人",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": "操作人用户名或姓名"}),
    )
    action = forms.ChoiceField(label="动作", required=False, choices=[("", "全部动作"), *AuditAction.choices])
    object_type = forms.ChoiceField(label="对象类型", required=False)
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ip = forms.GenericIPAddressField(
        label="来源地址", required=False, widget=forms.TextInput(attrs={"placeholder": "来源 IP"})
    )
    q = forms.CharField(
        label="对象",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "对象名称或编号"}),
    )

    def __init__(self, *args: Any, object_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "全部对象")] + [(t, type_label(t)) for t in object_types]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return data


def _object_types() -> list[str]:
    # Distinct values of an indexed column: cheap, and it lists only types that occur in the log.
    return sorted(
        t for t in AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct() if t
    )


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filter_entries(data: dict[str, Any]) -> QuerySet[AuditEntry]:
    """Entries matching the (cleaned) filter values, newest first, actor joined in."""
    qs = AuditEntry.objects.select_related("actor").order_by("-seq")
    if actor := (data.get("actor") or "").strip():
        qs = qs.filter(
            Q(actor_name__icontains=actor)
            | Q(actor__username__icontains=actor)
            | Q(actor__display_name__icontains=actor)
        )
    if action := data.get("action"):
        qs = qs.filter(action=action)
    if object_type := data.get("object_type"):
        qs = qs.filter(object_type=object_type)
    if start := data.get("date_from"):
        qs = qs.filter(at__gte=_local_midnight(start))
    if end := data.get("date_to"):
        qs = qs.filter(at__lt=_local_midnight(end + datetime.timedelta(days=1)))
    if ip := data.get("ip"):
        qs = qs.filter(ip=ip)
    if text := (data.get("q") or "").strip():
        qs = qs.filter(Q(object_repr__icontains=text) | Q(object_id=text))
    return qs


def _bound_filter(request: HttpRequest) -> tuple[AuditFilterForm, dict[str, Any]]:
    form = AuditFilterForm(request.GET or None, object_types=_object_types())
    if not form.is_bound:
        return form, {}
    form.is_valid()
    # An invalid field is left out of the filter (and shown with its error); the others still apply.
    return form, dict(form.cleaned_data)


# --- presenting entries -----------------------------------------------------------------------------


def _model_for(object_type: str) -> Any:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def type_label(object_type: str) -> str:
    model = _model_for(object_type)
    return f"{model._meta.verbose_name}" if model else object_type


def _field(model: Any, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _value_text(value: Any, field: Any, limit: int | None) -> str:
    if value is None or value == "":
        return EMPTY
    if field is not None and getattr(field, "flatchoices", None):
        value = dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def describe_changes(entry: AuditEntry, *, limit: int | None = VALUE_MAX_CHARS) -> list[str]:
    """The field diff as lines: "名称：宣传科 → 宣传科（改）" (creations show the new value,
    deletions the old one); other details as "原因：密码错误"."""
    model = _model_for(entry.object_type)
    lines: list[str] = []
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    for name, value in changes.items():
        field = _field(model, name)
        if field is not None and field.primary_key:
            continue  # the id is already shown next to the object
        label = str(field.verbose_name) if field is not None else EXTRA_LABELS.get(name, name)
        if field is not None and isinstance(value, list) and len(value) == 2:
            old, new = (_value_text(v, field, limit) for v in value)
            if entry.action == AuditAction.CREATE:
                lines.append(f"{label}：{new}")
            elif entry.action == AuditAction.DELETE:
                lines.append(f"{label}：{old}")
            else:
                lines.append(f"{label}：{old} → {new}")
        else:
            if name == "reason":
                value = REASON_LABELS.get(value, value)
            lines.append(
                f"{label}：{_value_text(value, None, limit)}" if label else _value_text(value, None, limit)
            )
    return lines


def _actor_text(entry: AuditEntry) -> str:
    if entry.actor_id is None:
        return "—"
    username = entry.actor.username if entry.actor is not None else ""
    name = entry.actor_name or username
    return f"{name}（{username}）" if username and username != name else name


# --- views ------------------------------------------------------------------------------------------


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_audit_view(request)
    if request.method == "POST":
        return _verify(request)
    form, data = _bound_filter(request)
    listing = paginate(request, filter_entries(data))
    rows = [
        {
            "entry": entry,
            "actor": _actor_text(entry),
            "type_label": type_label(entry.object_type) if entry.object_type else "",
            "changes": describe_changes(entry),
            "via": VIA_LABELS.get(entry.via, entry.via),
        }
        for entry in listing["object_list"]
    ]
    export_url = reverse("core:audit_export")
    if listing["querystring"]:
        export_url += "?" + listing["querystring"]
    return render(
        request,
        "core/audit_list.html",
        {
            "page_title": "审计日志",
            "form": form,
            "rows": rows,
            "export_url": export_url,
            "export_max_rows": EXPORT_MAX_ROWS,
            **listing,
        },
    )


def _verify(request: HttpRequest) -> HttpResponse:
    ok, checked, message = audit.verify_chain()
    if ok:
        messages.success(request, f"校验通过：{message}")
    else:
        messages.error(request, f"校验未通过：{message}（已核对 {checked} 条）。请立即报告安全管理员。")
    # Back to the same filtered view; the query string is re-encoded so nothing else can ride along.
    query = QueryDict(request.POST.get("querystring", ""), mutable=True)
    query.pop("page", None)
    target = reverse("core:audit_list")
    return redirect(f"{target}?{query.urlencode()}" if query else target)


EXPORT_COLUMNS = [
    Column("序号", 9, "number"),
    Column("时间", 19, "datetime", number_format="yyyy-mm-dd hh:mm:ss"),
    Column("操作人", 18),
    Column("动作", 12),
    Column("对象类型", 14),
    Column("对象编号", 10),
    Column("对象", 30),
    Column("字段变化", 60),
    Column("来源地址", 16),
    Column("途径", 8),
    Column("请求编号", 38),
]


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    _require_audit_view(request)
    form, data = _bound_filter(request)
    entries = filter_entries(data)
    exported = 0

    def rows() -> Any:
        nonlocal exported
        for entry in entries[: EXPORT_MAX_ROWS + 1].iterator(chunk_size=2000):
            if exported == EXPORT_MAX_ROWS:
                yield (
                    None,
                    None,
                    f"超过 {EXPORT_MAX_ROWS} 条，只导出了最新的 {EXPORT_MAX_ROWS} 条；请缩小日期范围分批导出",
                )
                return
            exported += 1
            yield (
                entry.seq,
                entry.at,
                _actor_text(entry),
                entry.get_action_display(),
                type_label(entry.object_type) if entry.object_type else "",
                entry.object_id,
                entry.object_repr,
                "\n".join(describe_changes(entry, limit=None)),
                entry.ip or "",
                VIA_LABELS.get(entry.via, entry.via),
                entry.request_id,
            )

    now = timezone.localtime()
    filters = {k: str(v) for k, v in data.items() if v not in (None, "")}
    described = "；".join(f"{form.fields[k].label}：{v}" for k, v in filters.items()) or "无"
    subtitle = f"导出人：{request.user}　导出时间：{now:%Y-%m-%d %H:%M}　筛选条件：{described}"
    content = build_ledger("审计日志", EXPORT_COLUMNS, rows(), subtitle=subtitle)
    audit.record(
        AuditAction.EXPORT,
        object_type="core.auditentry",
        object_repr="审计日志导出",
        changes={"filters": filters, "rows": exported},
    )
    return xlsx_response(f"审计日志_{now:%Y%m%d_%H%M}.xlsx", content)
