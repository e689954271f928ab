"""Forms of the plan pages: the import form, the preview's edits, and the list filter.

Unit choices are the user's change scope (`Unit.objects.visible_to(user, "change")`): a unit id
outside it, even one forged into the POST, is refused as an invalid choice with a clear message.
"""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from core.files import check_upload
from core.forms import StyledForm, style_fields
from core.scoping import access_for
from org.models import Unit
from plans.choices import Frequency
from plans.models import Plan
from yishi_text.plan_input import MAX_BYTES

PLAN_EXTENSIONS = {"txt", "docx"}
# Formats offices upload by mistake, with what to do instead.
_WRONG_FORMAT = {
    "doc": "这是旧版Word文件（.doc），请在Word或WPS中另存为.docx后再上传",
    "wps": "这是WPS文字文件（.wps），请另存为.docx后再上传",
    "pdf": "PDF文件无法直接读取，请上传Word（.docx）或文本（.txt）版本",
    "rtf": "RTF文件暂不支持，请另存为.docx或.txt后再上传",
}
UNIT_REFUSED = "单位不存在或不在您的管理范围内"


def check_plan_upload(uploaded: UploadedFile) -> None:
    """Size and type checks before parsing (.txt/.docx, at most 5 MB); Chinese ValidationError."""
    ext = os.path.splitext(uploaded.name or "")[1].lower().lstrip(".")
    if uploaded.size and uploaded.size > MAX_BYTES:
        raise ValidationError(f"文件过大：{uploaded.size / 1048576:.1f} MB，工作要点文件不应超过 5 MB")
    if ext in _WRONG_FORMAT:
        raise ValidationError(_WRONG_FORMAT[ext])
    check_upload(uploaded, PLAN_EXTENSIONS)


def organ_root_id(user: Any) -> int | None:
    """The root of the user's own unit's tree: the organ whose plans the user usually imports."""
    own = access_for(user).own_unit_id
    if not own:
        return None
    path = Unit.objects.filter(pk=own).values_list("path", flat=True).first() or ""
    first = path.strip("/").split("/")[0]
    return int(first) if first.isdigit() else None


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{'　' * obj.depth}{obj.name}"


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Plan) -> str:
        return f"{obj.year}年 · {obj.title}（第 {obj.revision} 版）"


class ImportForm(StyledForm):
    file = forms.FileField(
        label="工作要点文件", required=False,
        help_text="Word（.docx）或文本（.txt，UTF-8 / GB18030 编码），不超过 5 MB",
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.txt"}),
        error_messages={"empty": "文件为空，没有可读取的内容"},
    )
    text = forms.CharField(
        label="或直接粘贴全文", required=False,
        widget=forms.Textarea(attrs={"rows": 10, "placeholder": "2026年××意识形态工作要点\n一、……\n1.……"}),
    )
    unit = UnitChoiceField(label="所属单位", queryset=Unit.objects.none(), empty_label=None,
                           error_messages={"invalid_choice": UNIT_REFUSED})
    base_plan = PlanChoiceField(
        label="修订已有计划", required=False, queryset=Plan.objects.none(), empty_label="（不修订，导入新计划）",
        help_text="选择后，确认导入时将按新文本更新该计划：未开始的任务随之更新或删除，已开始的任务保留。",
        error_messages={"invalid_choice": "要修订的计划不存在或无权访问"},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.visible_to(user, "change").filter(is_active=True)
        self.fields["unit"].queryset = units
        self.fields["base_plan"].queryset = Plan.objects.visible_to(user, "change").select_related("unit")
        if not self.is_bound and "unit" not in self.initial:
            root = organ_root_id(user)
            if root is not None and units.filter(pk=root).exists():
                self.initial["unit"] = root

    def clean_file(self) -> UploadedFile | None:
        uploaded = self.cleaned_data.get("file")
        if uploaded:
            check_plan_upload(uploaded)
        return uploaded

    def clean_text(self) -> str:
        text = self.cleaned_data.get("text") or ""
        if len(text.encode("utf-8", "replace")) > MAX_BYTES:
            raise ValidationError("粘贴的内容过大，工作要点不应超过 5 MB")
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_file, has_text = bool(data.get("file")), bool((data.get("text") or "").strip())
        if not self.errors.get("file"):
            if has_file and has_text:
                raise ValidationError("请上传文件或粘贴全文，二者选其一")
            if not has_file and not has_text:
                raise ValidationError("请选择要上传的文件，或粘贴工作要点全文")
        base = data.get("base_plan")
        if base is not None:
            data["unit"] = base.unit  # a revision stays with the plan's unit
        return data


class PlanFilterForm(StyledForm):
    # Any year filters (a bookmarked year with no plan shows none); the select offers the years there are.
    year = forms.IntegerField(label="年度", required=False, min_value=1900, max_value=2100, widget=forms.Select)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.choices = [("", "全部年度"), *((y, f"{y}年") for y in years)]


class MetaForm(StyledForm):
    title = forms.CharField(label="标题", max_length=200)
    organization = forms.CharField(label="制定单位", max_length=100, required=False)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)


class ItemTitleForm(StyledForm):
    title = forms.CharField(label="条目标题", max_length=300)


class UnitsField(forms.ModelMultipleChoiceField):
    """Several units, checked in a table (see _obligation_form.html); refused ids get one clear message."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": UNIT_REFUSED, "invalid_pk_value": UNIT_REFUSED})
        super().__init__(queryset=Unit.objects.none(), **kwargs)

    def _check_values(self, value: Any) -> Any:
        # An id beyond bigint would reach the database (SQLite raises OverflowError): refuse it here.
        for pk in value:
            text = str(pk)
            if not text.isdigit() or len(text) > 18:
                raise ValidationError(UNIT_REFUSED, code="invalid_choice")
        return super()._check_values(value)


class ObligationForm(forms.Form):
    """One obligation of the draft: cadence, count, activity, and which units lead or assist."""

    frequency = forms.ChoiceField(label="频次", choices=Frequency.choices)
    times = forms.IntegerField(label="每期次数", required=False, min_value=1, max_value=1000,
                               help_text="“全年不少于12次”即每年 12 次")
    at_least = forms.BooleanField(label="至少（不少于）", required=False)
    timing = forms.CharField(label="时间要求", required=False, max_length=32,
                             widget=forms.TextInput(attrs={"placeholder": "如：年初、上半年、9月底前"}))
    activity = forms.CharField(label="事项", max_length=200)
    quote = forms.CharField(label="原文", required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}),
                            help_text="工作要点中的原句，任务将引用它；留空则用事项名称")
    lead = UnitsField(label="牵头（责任）单位", required=True)
    assist = UnitsField(label="配合单位", required=False)

    def __init__(self, *args: Any, user: Any, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.visible_to(user, "change").filter(is_active=True).order_by("path")
        self.units = list(units)
        for name in ("lead", "assist"):
            self.fields[name].queryset = units
        self.fields["lead"].error_messages["required"] = "请至少选择一个牵头（责任）单位"
        if not new:
            del self.fields["quote"]  # the original sentence is the plan's, not edited here
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        both = {u.pk for u in data.get("lead") or []} & {u.pk for u in data.get("assist") or []}
        if both:
            names = "、".join(u.name for u in data["lead"] if u.pk in both)
            self.add_error("assist", f"{names}已是牵头单位，不能同时配合")
        return data

    def refused_unit_ids(self) -> dict[str, list[str]]:
        """Submitted unit ids that exist but were refused (out of scope or stale): worth logging."""
        found: dict[str, list[str]] = {}
        for name in ("lead", "assist"):
            if name in self.errors:
                raw = [v for v in self.data.getlist(name) if str(v).isdigit()]
                real = Unit.objects.filter(pk__in=[int(v) for v in raw if int(v) < 2**63]).exclude(
                    pk__in=[u.pk for u in self.units]
                )
                ids = [str(pk) for pk in real.values_list("pk", flat=True)]
                if ids:
                    found[name] = ids
        return found

    def to_obligation(self, base: dict[str, Any] | None = None) -> dict[str, Any]:
        """The draft's obligation dict with this form's values (keeping the parser's other keys)."""
        data = self.cleaned_data
        ob = dict(base or {})
        ob.update(
            frequency=data["frequency"], times=data.get("times"), at_least=bool(data.get("at_least")),
            timing=(data.get("timing") or "").strip() or None, activity=data["activity"].strip(),
            assignments=[{"unit": u.pk, "role": "lead"} for u in data["lead"]]
            + [{"unit": u.pk, "role": "assist"} for u in data.get("assist") or []],
            # The user has now mapped it: no longer waiting for review.
            unresolved=False, unmatched=[],
        )
        if base is None:
            ob.update(quote=(data.get("quote") or "").strip() or data["activity"].strip(), actor=None)
        return ob

    @classmethod
    def initial_for(cls, ob: dict[str, Any]) -> dict[str, Any]:
        assignments = ob.get("assignments", [])
        return {
            "frequency": ob.get("frequency"), "times": ob.get("times"), "at_least": ob.get("at_least"),
            "timing": ob.get("timing") or "", "activity": ob.get("activity", ""), "quote": ob.get("quote", ""),
            "lead": [a["unit"] for a in assignments if a.get("role") == "lead"],
            "assist": [a["unit"] for a in assignments if a.get("role") == "assist"],
        }
