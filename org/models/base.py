"""Units (a tree), the names plans use for them, people and their roles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from core.audit import AuditedModel
from core.models.base import TimeStampedModel, UnitScopedModel
from core.scoping import ScopedQuerySet
from org.choices import Role, UnitKind


class Unit(AuditedModel, TimeStampedModel):
    """A node of the organ's tree. `path` ("/1/4/9/") makes a subtree one indexed prefix query."""

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    code = models.CharField("编码", max_length=32, unique=True, null=True, blank=True)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices, default=UnitKind.SECTION)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级单位"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    is_coordinator = models.BooleanField(
        "牵头协调单位", default=False, help_text="统筹意识形态工作的单位（通常为办公室）；无法识别的责任主体归口于此"
    )

    audit_exclude = ("created_at", "updated_at", "path", "depth")
    scope_unit_field = ""  # a unit is its own scope
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_under_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The path needs the pk, so a new unit is saved once without it, then again with it.
        if self.pk is None:
            self.path = ""
            super().save(*args, **kwargs)
            kwargs = {k: v for k, v in kwargs.items() if k != "force_insert"}
        self._set_path()
        super().save(*args, **kwargs)

    def _set_path(self) -> None:
        parent_path = self.parent.path if self.parent_id else "/"
        new_path = f"{parent_path}{self.pk}/"
        if self.path and self.path != new_path:
            old = self.path
            for child in Unit.objects.filter(path__startswith=old).exclude(pk=self.pk):
                Unit.objects.filter(pk=child.pk).update(
                    path=new_path + child.path[len(old):], depth=child.path[len(old):].count("/") + self.depth
                )
        self.path = new_path
        self.depth = new_path.count("/") - 2

    def ancestors_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def subtree(self) -> models.QuerySet[Unit]:
        return Unit.objects.filter(path__startswith=self.path)


class UnitAlias(AuditedModel, TimeStampedModel):
    """A name a plan uses for one unit (部党委, 办公室) or for every unit of a kind (各科室)."""

    name = models.CharField("名称", max_length=50, unique=True)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="aliases", verbose_name="对应单位"
    )
    unit_kind = models.CharField(
        "对应类型（全部）", max_length=16, choices=UnitKind.choices, blank=True, help_text="如“各科室”对应全部科室"
    )

    class Meta:
        verbose_name = "单位别名"
        verbose_name_plural = "单位别名"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(unit__isnull=False) & models.Q(unit_kind=""))
                | (models.Q(unit__isnull=True) & ~models.Q(unit_kind="")),
                name="unitalias_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def resolve(self) -> list[Unit]:
        if self.unit_id:
            return [self.unit]
        return list(Unit.objects.filter(kind=self.unit_kind, is_active=True))


class Person(AuditedModel, UnitScopedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        verbose_name="登录账户",
    )
    name = models.CharField("姓名", max_length=64)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="people", verbose_name="所在单位")
    title = models.CharField("职务", max_length=64, blank=True)
    phone = models.CharField("电话", max_length=32, blank=True)
    email = models.EmailField("邮箱", blank=True)
    employee_no = models.CharField("工号", max_length=32, unique=True, null=True, blank=True)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["unit__path", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(AuditedModel, UnitScopedModel):
    """A person holds a role for a unit; leading roles reach that unit's subtree."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles", verbose_name="人员")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="role_assignments", verbose_name="负责单位")
    note = models.CharField("说明", max_length=200, blank=True, help_text="如：分管宣传、网信工作")

    class Meta:
        verbose_name = "角色任职"
        verbose_name_plural = "角色任职"
        ordering = ["unit__path", "role"]
        constraints = [models.UniqueConstraint(fields=["person", "role", "unit"], name="roleassignment_unique")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.unit}"
