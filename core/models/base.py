"""Base classes every app's models build on."""

from __future__ import annotations

from django.db import models

from core.scoping import ScopedQuerySet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class UnitScopedModel(TimeStampedModel):
    """A record owned by a unit. `scope_unit_field` names the path to that unit for scoping.

    Every list, form choice and API query for such records goes through
    `Model.objects.visible_to(user, action)` (core.scoping), the one scoping mechanism.
    """

    scope_unit_field = "unit"

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True
