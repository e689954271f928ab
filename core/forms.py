"""Form base classes: Tabler widget classes, and unit choice lists limited by the user's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def style_fields(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class StyledModelForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class ScopedModelForm(StyledModelForm):
    """A model form whose unit choices are limited to what the user may act on.

    A unit id outside the scope, even one forged into the POST, fails validation as an invalid
    choice: the choice list IS the scope check.
    """

    scope_action = "change"
    scoped_unit_fields: tuple[str, ...] = ("unit",)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from org.models import Unit

        self.user = user
        super().__init__(*args, **kwargs)
        for name in self.scoped_unit_fields:
            if name in self.fields:
                self.fields[name].queryset = Unit.objects.visible_to(user, self.scope_action).filter(is_active=True)


def add_action_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show an action's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class PersonChoice(forms.ModelChoiceField):
    """A person, shown with the unit (two people of one name in different units are common)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.unit.name}）"


class PeopleChoice(forms.ModelMultipleChoiceField):
    """Several people, each shown with the unit."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.unit.name}）"
