"""User-driven writes of the monitoring side: keyword rules (监测规则).

Each action checks the permission and the unit scope, validates the expression with the rule
parser, writes in one transaction (KeywordRule is an AuditedModel: every save/delete is audited
with a field diff) and bumps the rule's `version`, which the pipeline compares to decide when to
rebuild its Aho-Corasick automaton.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit import deny
from core.roles import Perm
from core.scoping import has_perm, unit_in_scope
from opinion.choices import RulePurpose, RuleScope
from opinion.models import KeywordRule

MAX_EXPRESSION = 4000


def rule_syntax_error(expression: str) -> Any:
    """None when the expression parses, else the parser's RuleSyntaxError (message + position)."""
    from yishi_text.opinion.rules import RuleSyntaxError, parse

    try:
        parse(expression)
    except RuleSyntaxError as exc:
        return exc
    return None


def describe_syntax_error(exc: Any) -> str:
    """The parser's Chinese message, with the (1-based) position when the message lacks it."""
    where = f"第 {exc.position + 1} 个字符"
    return f"表达式语法错误：{exc.message}" + ("" if where in exc.message else f"（{where}）")


def can_manage_rules(user: Any) -> bool:
    return has_perm(user, Perm.OPINION_MANAGE)


def _check_manage(user: Any, unit_id: int | None, rule: KeywordRule | None = None) -> None:
    if not can_manage_rules(user):
        deny(user, "无权管理监测规则（需要舆情管理权限）", obj=rule, object_type="opinion.keywordrule")
    if not unit_in_scope(user, unit_id, "view"):
        deny(user, "只能管理本单位范围内的监测规则", obj=rule, object_type="opinion.keywordrule")


def _clean(name: str, expression: str, scope: str, purpose: str) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    expression = (expression or "").strip()
    if not name:
        errors["name"] = ["请填写规则名称"]
    elif len(name) > 100:
        errors["name"] = ["规则名称不能超过 100 个字符"]
    if not expression:
        errors["expression"] = ["请填写表达式"]
    elif len(expression) > MAX_EXPRESSION:
        errors["expression"] = [f"表达式不能超过 {MAX_EXPRESSION} 个字符"]
    else:
        exc = rule_syntax_error(expression)
        if exc is not None:
            errors["expression"] = [describe_syntax_error(exc)]
    if scope not in RuleScope.values:
        errors["scope"] = ["匹配范围无效"]
    if purpose not in RulePurpose.values:
        errors["purpose"] = ["用途无效"]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "expression": expression, "scope": scope, "purpose": purpose}


def _save(rule: KeywordRule) -> None:
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        raise ValidationError({"name": ["本单位已有同名规则"]}) from exc


def do_create_rule(*, unit: Any, name: str, expression: str, scope: str = RuleScope.ALL,
                   purpose: str = RulePurpose.RELEVANCE, enabled: bool = True, acting_user: Any) -> KeywordRule:
    _check_manage(acting_user, getattr(unit, "pk", None))
    data = _clean(name, expression, scope, purpose)
    rule = KeywordRule(unit=unit, enabled=enabled, created_by=acting_user, **data)
    _save(rule)
    return rule


def do_update_rule(rule: KeywordRule, *, acting_user: Any, **changes: Any) -> KeywordRule:
    """Change name / expression / scope / purpose / enabled / unit; any change bumps `version`."""
    _check_manage(acting_user, rule.unit_id, rule)
    unknown = set(changes) - {"name", "expression", "scope", "purpose", "enabled", "unit"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if "unit" in changes:
        _check_manage(acting_user, getattr(changes["unit"], "pk", None), rule)
    data = _clean(changes.get("name", rule.name), changes.get("expression", rule.expression),
                  changes.get("scope", rule.scope), changes.get("purpose", rule.purpose))
    before = (rule.name, rule.expression, rule.scope, rule.purpose, rule.enabled, rule.unit_id)
    for key, value in data.items():
        setattr(rule, key, value)
    if "enabled" in changes:
        rule.enabled = bool(changes["enabled"])
    if "unit" in changes:
        rule.unit = changes["unit"]
    if before != (rule.name, rule.expression, rule.scope, rule.purpose, rule.enabled, rule.unit_id):
        rule.version += 1
        _save(rule)
    return rule


def do_delete_rule(rule: KeywordRule, *, acting_user: Any) -> None:
    _check_manage(acting_user, rule.unit_id, rule)
    with transaction.atomic():
        rule.delete()


# --- sources: "立即抓取" ------------------------------------------------------------------------------


def do_request_fetch(source: Any, *, acting_user: Any) -> None:
    """Queue one fetch of `source` now (B1's opinion.jobs.fetch_source), audited; after commit."""
    from core import audit
    from core.models import AuditAction
    from core.tasking import enqueue_on_commit
    from opinion.jobs import fetch_source
    from opinion.sources import FETCHED_KINDS

    if not has_perm(acting_user, Perm.OPINION_MANAGE):
        deny(acting_user, "无权抓取信息源（需要舆情管理权限）", obj=source)
    if source.kind not in FETCHED_KINDS:
        raise ValidationError(f"“{source.get_kind_display()}”类型的信息源不能抓取")
    with transaction.atomic():
        audit.record(AuditAction.UPDATE, obj=source, changes={"fetch": ["", "立即抓取"]}, actor=acting_user)
        enqueue_on_commit(fetch_source, source.pk)
