"""Forms of the risk pages. Choice lists are the user's scope (core.forms): a unit or person outside
it, even forged into the POST, is an invalid choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from core import workdays
from core.forms import PeopleChoice, PersonChoice, StyledForm
from core.scoping import access_for
from ledger.forms import MultipleFileField
from risks.choices import SCALE_CHOICES, Cadence, CampaignKind, RiskLevel, RiskSource
from risks.models import RiskDomain

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _people(user: Any, unit_id: int | None = None) -> Any:
    from org.models import Person

    qs = Person.objects.visible_to(user, "view").filter(is_active=True).select_related("unit")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs.order_by("unit__path", "sort_order", "id")


class RiskFilterForm(StyledForm):
    """The register's filter selects. Only drawn (the FORM_RENDERER writes them in Python); the
    query itself is read by risks.selectors.parse_filters, which explains bad values."""

    def __init__(self, data: Any, *, domains: list[tuple[int, str]], units: list[tuple[int, str, str]],
                 sorts: list[tuple[str, str]], statuses: list[tuple[str, str]]) -> None:
        # Unbound, the query as initial values: drawing must not validate (parse_filters reports
        # bad values once, above the results) nor mark the selects invalid.
        initial = {name: data.get(name, "") for name in ("domain", "level", "status", "unit", "source", "flagged")}
        super().__init__(initial={**initial, "sort": data.get("sort") or "level"}, auto_id="f-%s")
        lists = {
            "domain": ("领域", [("", "全部领域"), *((str(pk), n) for pk, n in domains)]),
            "level": ("等级", [("", "全部等级"), *RiskLevel.choices]),
            "status": ("状态", [("", "全部状态"), *statuses]),
            "unit": ("单位", [("", "全部单位"), *((str(pk), n) for pk, n, _ in units)]),
            "source": ("来源", [("", "全部来源"), *RiskSource.choices]),
            "flagged": ("挂牌督办", [("", "挂牌督办：不限"), ("1", "挂牌督办"), ("0", "未挂牌")]),
            "sort": ("排序", sorts),
        }
        for name, (label, choices) in lists.items():
            self.fields[name] = forms.ChoiceField(
                label=label, choices=choices, required=False,
                widget=forms.Select(attrs={"class": "form-select", "aria-label": label}))


class RiskForm(StyledForm):
    title = forms.CharField(label="风险名称", max_length=200)
    domain = forms.ModelChoiceField(label="领域", queryset=RiskDomain.objects.filter(is_active=True))
    source = forms.ChoiceField(label="来源", choices=RiskSource.choices, initial=RiskSource.REPORT)
    description = forms.CharField(label="风险描述", widget=forms.Textarea(attrs={"rows": 3}))
    likelihood = forms.TypedChoiceField(label="可能性", choices=SCALE_CHOICES, coerce=int, initial=3)
    impact = forms.TypedChoiceField(label="影响程度", choices=SCALE_CHOICES, coerce=int, initial=3)
    unit = forms.ModelChoiceField(label="责任单位", queryset=None)
    owner = PersonChoice(label="责任人", queryset=None, required=False)
    measures = forms.CharField(label="防控措施", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    deadline = forms.DateField(label="整改时限", widget=DATE, help_text="须为今天或以后的工作日")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, risk: Any = None, **kwargs: Any) -> None:
        from org.models import Unit

        super().__init__(*args, **kwargs)
        self.user = user
        if risk is not None:
            # The unit of a registered risk does not move: its tasks and evidence belong to it.
            del self.fields["unit"]
            self.fields["owner"].queryset = _people(user, risk.unit_id)
            self.fields["domain"].queryset = RiskDomain.objects.filter(is_active=True) | RiskDomain.objects.filter(
                pk=risk.domain_id)
        else:
            del self.fields["version"]
            self.fields["unit"].queryset = Unit.objects.visible_to(user, "work").filter(is_active=True).order_by("path")
            own = access_for(user).own_unit_id
            if own:
                self.fields["unit"].initial = own
            self.fields["owner"].queryset = _people(user)
            self.fields["deadline"].initial = workdays.add_workdays(timezone.localdate(), 20)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        owner, unit = data.get("owner"), data.get("unit")
        if owner is not None and unit is not None and owner.unit_id != unit.pk:
            self.add_error("owner", "责任人须为责任单位的在岗人员")
        return data


class StepForm(StyledForm):
    title = forms.CharField(label="整改任务", max_length=300)
    due_date = forms.DateField(label="完成时限", widget=DATE)
    owner = PersonChoice(label="责任人", queryset=None, required=False)
    description = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, risk: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="step", **kwargs)
        self.fields["owner"].queryset = _people(user, risk.unit_id)
        self.fields["due_date"].initial = workdays.add_workdays(timezone.localdate(), 10)


class FlagForm(StyledForm):
    leader = forms.ModelChoiceField(label="督办领导", queryset=None)
    group_name = forms.CharField(label="工作专班", max_length=100)
    group = PeopleChoice(label="专班成员", queryset=None, widget=forms.SelectMultiple(attrs={"size": 6}))
    cadence = forms.ChoiceField(label="进展报告频次", choices=Cadence.choices)
    order = forms.CharField(label="督办要求", widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, risk: Any, **kwargs: Any) -> None:
        from ledger.forms import leaders_over

        super().__init__(*args, prefix="flag", **kwargs)
        self.fields["leader"].queryset = leaders_over(risk.unit)
        self.fields["leader"].label_from_instance = lambda u: str(u)
        self.fields["leader"].initial = user.pk
        self.fields["group"].queryset = _people(user)
        self.fields["group_name"].initial = f"{risk.title[:40]}整改专班"


class CloseRequestForm(StyledForm):
    text = forms.CharField(label="整改结果", widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label="佐证材料", required=False, help_text="可多选：pdf、jpg、png、docx、xlsx、pptx、txt、csv")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="close", **kwargs)


class ReviewForm(StyledForm):
    comment = forms.CharField(label="验收意见", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="review", **kwargs)


class FollowUpForm(StyledForm):
    passed = forms.TypedChoiceField(label="回头看结论", coerce=lambda v: v == "1",
                                    choices=[("1", "整改成效巩固，通过"), ("0", "问题反弹，重新整改")])
    text = forms.CharField(label="回头看情况", widget=forms.Textarea(attrs={"rows": 2}))
    task_title = forms.CharField(label="重新整改任务", max_length=300, required=False)
    task_due = forms.DateField(label="整改时限", widget=DATE, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="follow", **kwargs)


class CampaignForm(StyledForm):
    kind = forms.ChoiceField(label="排查类型", choices=CampaignKind.choices)
    title = forms.CharField(label="名称", max_length=200)
    description = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    start_date = forms.DateField(label="开始日期", widget=DATE)
    due_date = forms.DateField(label="填报截止", widget=DATE)
    domains = forms.ModelMultipleChoiceField(label="排查领域", queryset=RiskDomain.objects.filter(is_active=True),
                                             widget=forms.CheckboxSelectMultiple, required=False,
                                             help_text="不选则包括全部启用的领域")
    units = forms.ModelMultipleChoiceField(label="参加单位", queryset=None,
                                           widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from org.choices import UnitKind
        from org.models import Unit

        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(is_active=True).exclude(kind=UnitKind.ORGAN).order_by("path")
        self.fields["units"].queryset = units
        self.fields["units"].initial = list(units.values_list("pk", flat=True))
        today = timezone.localdate()
        self.fields["start_date"].initial = today
        self.fields["due_date"].initial = workdays.add_workdays(today, 5)


class DomainForm(StyledForm):
    name = forms.CharField(label="领域名称", max_length=50)
    sort_order = forms.IntegerField(label="排序", initial=0, min_value=-10000, max_value=10000)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class PointForm(StyledForm):
    text = forms.CharField(label="风险点", max_length=300)
    sort_order = forms.IntegerField(label="排序", initial=0, min_value=-10000, max_value=10000)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
