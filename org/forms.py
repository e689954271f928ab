"""Forms of the org pages. Unit choice lists are the user's scope (core.forms.ScopedModelForm):
a unit id outside it, even one forged into the POST, is an invalid choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.forms.models import construct_instance

from core.forms import ScopedModelForm, StyledForm, StyledModelForm
from core.roles import Role
from core.scoping import scope_unit_ids
from org.actions import USERNAME_HINT, USERNAME_RE
from org.choices import UnitKind
from org.models import Person, RoleAssignment, Unit, UnitAlias


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by depth, so the select reads like the tree."""

    def label_from_instance(self, obj: Unit) -> str:
        return f"{'　' * obj.depth}{obj.name}"


def forged_unit_ids(form: forms.BaseForm, *names: str) -> dict[str, str]:
    """Submitted unit ids that name a real unit the form refused: a forged or stale choice."""
    found: dict[str, str] = {}
    for name in names:
        if name in form.errors and form.data.get(form.add_prefix(name)):
            raw = str(form.data.get(form.add_prefix(name)))
            if raw.isdigit() and Unit.objects.filter(pk=int(raw)).exists():
                found[name] = raw
    return found


class ActionValidatedMixin:
    """Field checks only. Uniqueness and model constraints are checked by org.actions, in the same
    transaction as the write and with messages that name the clashing record."""

    def _post_clean(self) -> None:
        exclude = self._get_validation_exclusions()  # type: ignore[attr-defined]
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)  # type: ignore[attr-defined]
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]
        try:
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]


class UnitForm(ActionValidatedMixin, ScopedModelForm):
    scoped_unit_fields = ("parent",)

    class Meta:
        model = Unit
        fields = ["name", "short_name", "code", "kind", "parent", "sort_order", "is_coordinator"]
        field_classes = {"parent": UnitChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].empty_label = "（无，顶层单位）"
        if self.instance.pk:
            # A unit cannot move under itself or anything below it.
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(path__startswith=self.instance.path)

    def clean_code(self) -> str | None:
        return (self.cleaned_data.get("code") or "").strip() or None


class PersonForm(ActionValidatedMixin, ScopedModelForm):
    username = forms.CharField(
        label="登录账号", required=False, max_length=150,
        help_text="可选。填写则同时开设登录账号并生成临时密码（只显示一次），首次登录须修改。" + USERNAME_HINT,
    )

    class Meta:
        model = Person
        fields = ["name", "unit", "title", "phone", "email", "employee_no", "sort_order", "is_active"]
        field_classes = {"unit": UnitChoiceField}

    def __init__(self, *args: Any, can_open_account: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk or not can_open_account:
            del self.fields["username"]
        if not self.instance.pk:
            del self.fields["is_active"]

    def clean_username(self) -> str:
        value = (self.cleaned_data.get("username") or "").strip()
        if value and not USERNAME_RE.match(value):
            raise forms.ValidationError(USERNAME_HINT)
        return value


class RoleAssignmentForm(ScopedModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["role", "unit", "note"]
        field_classes = {"unit": UnitChoiceField}
        widgets = {"note": forms.TextInput(attrs={"placeholder": "说明（可选），如：分管宣传"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "选择角色"), *Role.choices]
        self.fields["unit"].empty_label = "选择负责单位"


class AliasForm(ActionValidatedMixin, StyledModelForm):
    class Meta:
        model = UnitAlias
        fields = ["name", "unit", "unit_kind"]
        field_classes = {"unit": UnitChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True)
        self.fields["unit"].required = False
        self.fields["unit_kind"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("unit")) == bool(data.get("unit_kind")):
            raise forms.ValidationError("请在“对应单位”和“对应类型（全部）”中选择且只选择一项")
        return data


class ImportForm(StyledForm):
    file = forms.FileField(label="组织机构文件", help_text="支持 .xlsx 和 .csv（UTF-8 或 GB18030 编码）")


class UnitFilterForm(StyledForm):
    q = forms.CharField(label="名称", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": "单位名称、简称或编码"}))
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部类型"), *UnitKind.choices])
    inactive = forms.BooleanField(label="含已停用", required=False)


class PeopleFilterForm(StyledForm):
    q = forms.CharField(label="搜索", required=False, max_length=64,
                        widget=forms.TextInput(attrs={"placeholder": "姓名、职务、电话、工号或账号"}))
    unit = UnitChoiceField(label="单位", required=False, queryset=Unit.objects.none(), empty_label="全部单位")
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部角色"), *Role.choices])
    active = forms.ChoiceField(
        label="状态", required=False, choices=[("1", "在岗"), ("0", "已离岗"), ("all", "全部")], initial="1"
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.visible_to(user, "view")


# --- the filters behind the lists (shared by the pages and the API) -----------------------------------


def people_for(user: Any) -> QuerySet:
    """The people the user may see, with what a list row shows, in a constant number of queries."""
    return (
        Person.objects.visible_to(user, "view")
        .select_related("unit", "user")
        .prefetch_related(Prefetch("roles", queryset=RoleAssignment.objects.select_related("unit")))
    )


def filter_people(qs: QuerySet, *, q: str = "", unit: Unit | None = None, role: str = "",
                  active: bool | None = True) -> QuerySet:
    """`unit` covers its whole subtree; `active` None means both."""
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(title__icontains=q) | Q(phone__icontains=q)
            | Q(employee_no__icontains=q) | Q(user__username__icontains=q)
        )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if role:
        qs = qs.filter(Exists(RoleAssignment.objects.filter(person=OuterRef("pk"), role=role)))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def aliases_for(user: Any, q: str = "") -> QuerySet:
    """Aliases of the units the user may see, and the kind-wide ones (各科室), which name no unit."""
    qs = UnitAlias.objects.select_related("unit").order_by("name")
    ids = scope_unit_ids(user, "view")
    if ids is not None:
        qs = qs.filter(Q(unit_id__in=sorted(ids)) | Q(unit__isnull=True))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(unit__name__icontains=q))
    return qs
