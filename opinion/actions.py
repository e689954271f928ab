"""User-driven writes of alerts, incidents, reports and duty handovers: `do_<verb>_<noun>` functions,
one transaction each, audited (AuditedModel rows log themselves; other rows through core.audit).

A refused write is logged as DENIED (core.audit.deny) before any transaction opens, so the entry
survives the refusal. Incidents carry a `version`: a write based on an older one is refused with
IncidentConflict (a ledger ConflictError, so views and the API treat both alike).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import audit
from core.audit import deny
from core.models import AuditAction
from ledger.actions import ConflictError, create_task
from ledger.choices import SourceKind
from opinion import alerting
from opinion import incidents as rules
from opinion.choices import RulePurpose
from opinion.models import (
    Alert,
    AlertRule,
    DutyHandover,
    Incident,
    IncidentLog,
    IncidentStatement,
    OpinionSettings,
)
from opinion.models.alerts import RULE_MODES, AlertLevel, AlertMode, AlertStatus, ThresholdMetric
from opinion.models.incidents import OPEN_STAGES, STAGE_ORDER, IncidentStage, LogKind

MAX_TEXT = 10_000


class IncidentConflict(ConflictError):
    def __init__(self) -> None:
        ValidationError.__init__(self, "该处置事项已被他人修改，请刷新页面查看最新内容后再提交", code="conflict")


def _clean(text: Any, limit: int = MAX_TEXT) -> str:
    return str(text or "").strip()[:limit]


def _actor_user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "pk", None) else None


# --- alerts -----------------------------------------------------------------------------------------


def can_handle_alert(user: Any, alert: Alert) -> bool:
    """Sign for or dismiss: a recipient, or an analyst whose scope covers the alert's unit."""
    if alert.recipients.filter(pk=getattr(user, "pk", None)).exists():
        return True
    return rules.can_handle(user, alert.unit_id) if alert.unit_id else rules.can_manage(user)


def _set_alert_status(alert: Alert, status: str, acting_user: Any, denied: str) -> Alert:
    if not can_handle_alert(acting_user, alert):
        deny(acting_user, denied, obj=alert)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.status == AlertStatus.INCIDENT:
            raise ValidationError("该预警已转入处置，不能再更改状态")
        before = current.status
        current.status, current.handled_by, current.handled_at = status, _actor_user(acting_user), timezone.now()
        current.save(update_fields=["status", "handled_by", "handled_at"])
        audit.record(AuditAction.UPDATE, obj=current, changes={"status": [before, status]})
    return current


def do_ack_alert(alert: Alert, *, acting_user: Any) -> Alert:
    """签收: the recipient has seen it and takes it on."""
    return _set_alert_status(alert, AlertStatus.ACKNOWLEDGED, acting_user, "仅预警接收人或舆情分析员可签收预警")


def do_dismiss_alert(alert: Alert, *, acting_user: Any) -> Alert:
    """忽略: a false alarm (it stays in the list, marked)."""
    return _set_alert_status(alert, AlertStatus.DISMISSED, acting_user, "仅预警接收人或舆情分析员可忽略预警")


def do_raise_alert(target: Any, *, level: str, reason: str, recipients: Sequence[Any], acting_user: Any,
                   unit: Any = None) -> Alert:
    """A manual alert (人工预警) about an event or an item, delivered at once (people decided it)."""
    from opinion.models import Event, Item
    from org.models import Person

    if not rules.can_manage(acting_user):
        deny(acting_user, "仅舆情分析员可发布人工预警", object_type="opinion.alert")
    if level not in AlertLevel.values:
        raise ValidationError({"level": "预警级别无效"})
    reason = _clean(reason, 2000)
    if not reason:
        raise ValidationError({"reason": "请填写预警原因"})
    users = [r.user if isinstance(r, Person) else r for r in recipients]
    users = [u for u in users if u is not None and getattr(u, "is_active", False)]
    if not users:
        raise ValidationError({"recipients": "请选择至少一名有登录账户的接收人"})
    if isinstance(target, Event):
        event, item, key = target, None, f"event:{target.pk}"
    elif isinstance(target, Item):
        event, item = (target.event, target) if target.event_id else (None, target)
        key = f"event:{target.event_id}" if target.event_id else f"item:{target.pk}"
    else:
        raise ValidationError("请选择预警的事件或信息")
    unit = unit or _own_unit(acting_user)
    cand = alerting.Candidate(key + ":manual", level, AlertMode.MANUAL, (event or item).title[:300],
                              reasons=[f"人工预警：{reason}"], event_id=event.pk if event else None,
                              item_id=item.pk if item else None)
    with audit.audit_context(actor=acting_user):
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    unit=unit, mode=AlertMode.MANUAL, level=level, event=event, item=item, title=cand.title,
                    reason=cand.reasons[0], raised_by=_actor_user(acting_user),
                    dedup_key=f"{key}:{level}:manual:{timezone.now().timestamp():.6f}"[:100])
                alert.recipients.set(users)
                audit.record(AuditAction.CREATE, obj=alert, changes={"level": level, "reason": alert.reason,
                                                                     "recipients": [u.pk for u in users]})
                alerting._deliver(alert, users)
        except IntegrityError:
            raise ValidationError("请勿重复提交") from None
    return alert


def _own_unit(user: Any) -> Any:
    person = getattr(user, "person", None) if getattr(user, "pk", None) else None
    return person.unit if person is not None else None


# --- alert rules ------------------------------------------------------------------------------------


RULE_FIELDS = ("name", "mode", "level", "keyword_rule", "metric", "threshold", "window_minutes", "source",
               "min_confidence", "weekdays", "active_from", "active_to", "quiet_start", "quiet_end", "enabled")


def clean_alert_rule(data: dict[str, Any]) -> dict[str, Any]:
    """Validate an alert rule's fields; Chinese messages per field."""
    errors: dict[str, str] = {}
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors["name"] = "请填写规则名称"
    mode = data.get("mode")
    if mode not in [m.value for m in RULE_MODES]:
        errors["mode"] = "请选择预警方式（负面舆情、敏感词或阈值）"
    if data.get("level") not in AlertLevel.values:
        errors["level"] = "预警级别无效"
    keyword = data.get("keyword_rule")
    if mode == AlertMode.SENSITIVE and (keyword is None or keyword.purpose != RulePurpose.SENSITIVE):
        errors["keyword_rule"] = "敏感词方式须选择一条用途为“敏感词”的关键词规则"
    if mode == AlertMode.THRESHOLD:
        if data.get("metric") not in ThresholdMetric.values:
            errors["metric"] = "阈值方式须选择指标"
        if data.get("threshold") is None:
            errors["threshold"] = "请填写阈值"
        elif float(data["threshold"]) < 0:
            errors["threshold"] = "阈值不能为负"
        elif data.get("metric") == ThresholdMetric.NEGATIVE_SHARE and float(data["threshold"]) > 1:
            errors["threshold"] = "负面占比阈值为 0–1 之间的小数（如 0.6 表示 60%）"
        if data.get("metric") == ThresholdMetric.SOURCE_VOLUME and data.get("source") is None:
            errors["source"] = "“指定来源信息量”须选择信息来源"
    confidence = data.get("min_confidence", 0.6)
    if confidence is None or not 0 <= float(confidence) <= 1:
        errors["min_confidence"] = "置信度为 0–1 之间的小数"
    window = data.get("window_minutes") or 60
    if not 1 <= int(window) <= 10_080:
        errors["window_minutes"] = "统计窗口为 1–10080 分钟"
    weekdays = data.get("weekdays") or []
    if any(not str(d).isdigit() or not 0 <= int(d) <= 6 for d in weekdays):
        errors["weekdays"] = "星期取值为 0（周一）到 6（周日）"
    if bool(data.get("active_from")) != bool(data.get("active_to")):
        errors["active_to"] = "生效时段须同时填写开始和结束"
    if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
        errors["quiet_end"] = "免打扰时段须同时填写开始和结束"
    if errors:
        raise ValidationError(errors)
    cleaned = {k: data.get(k) for k in RULE_FIELDS}
    cleaned.update(name=name[:100], window_minutes=int(window), min_confidence=float(confidence),
                   weekdays=sorted({int(d) for d in weekdays}), enabled=bool(data.get("enabled", True)),
                   metric=data.get("metric") or "" if mode == AlertMode.THRESHOLD else "")
    if mode != AlertMode.THRESHOLD:
        cleaned["threshold"] = None
    return cleaned


def do_save_alert_rule(rule: AlertRule | None, *, unit: Any, recipients: Sequence[Any] = (), acting_user: Any,
                       expected_version: int | None = None, **data: Any) -> AlertRule:
    """Create or change an alert rule of a unit the user handles."""
    if not rules.can_handle(acting_user, unit.pk) or (rule is not None and not rules.can_handle(acting_user,
                                                                                                rule.unit_id)):
        deny(acting_user, "仅本单位的舆情分析员可维护预警规则", obj=rule, object_type="opinion.alertrule")
    cleaned = clean_alert_rule(data)
    try:
        with transaction.atomic(), audit.audit_context(actor=acting_user):
            if rule is None:
                rule = AlertRule(unit=unit, created_by=_actor_user(acting_user), **cleaned)
            else:
                rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
                if expected_version is not None and rule.version != expected_version:
                    raise ValidationError("该预警规则已被他人修改，请刷新后再提交", code="conflict")
                for key, value in cleaned.items():
                    setattr(rule, key, value)
                rule.unit = unit
                rule.version += 1
            rule.save()
            rule.recipients.set(recipients)
    except IntegrityError:
        raise ValidationError({"name": "本单位已有同名的预警规则"}) from None
    return rule


def do_delete_alert_rule(rule: AlertRule, *, acting_user: Any) -> None:
    if not rules.can_handle(acting_user, rule.unit_id):
        deny(acting_user, "仅本单位的舆情分析员可删除预警规则", obj=rule)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        rule.delete()


# --- incidents --------------------------------------------------------------------------------------


def _log(incident: Incident, kind: str, actor: Any, text: str = "", from_stage: str = "", to_stage: str = "",
         at: datetime.datetime | None = None) -> IncidentLog:
    return IncidentLog.objects.create(incident=incident, at=at or timezone.now(), actor=_actor_user(actor),
                                      kind=kind, from_stage=from_stage, to_stage=to_stage, text=text)


def _require_handle(user: Any, unit_id: int | None, message: str, obj: Any = None) -> None:
    if not rules.can_handle(user, unit_id):
        deny(user, message, obj=obj, object_type="opinion.incident")


def do_open_incident(*, alert: Alert | None = None, event: Any = None, title: str = "", level: str = "",
                     unit: Any, owner: Any = None, description: str = "", acting_user: Any) -> Incident:
    """受理: open an incident from an alert, from an event, or by hand; the 受理 deadline starts now."""
    _require_handle(acting_user, getattr(unit, "pk", None), "仅受理单位的舆情分析员可受理舆情事件")
    if alert is not None:
        event = event or alert.event
        title = title or alert.title
        level = level or alert.level
        description = description or alert.reason
    title = " ".join(str(title or "").split())[:300]
    if not title:
        raise ValidationError({"title": "请填写事项名称"})
    level = level or AlertLevel.YELLOW
    if level not in AlertLevel.values:
        raise ValidationError({"level": "级别无效"})
    if owner is not None and (owner.unit_id != unit.pk or not owner.is_active):
        raise ValidationError({"owner": "责任人须为受理单位的在岗人员"})
    now = timezone.now()
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        if alert is not None:
            alert = Alert.objects.select_for_update().get(pk=alert.pk)
            if alert.incident_id:
                raise ValidationError("该预警已转入处置，请勿重复受理")
        incident = Incident.objects.create(
            unit=unit, title=title, level=level, stage=IncidentStage.ACCEPTED, alert=alert, event=event,
            description=_clean(description), owner=owner, created_by=_actor_user(acting_user),
            stage_started_at=now, stage_due_at=rules.stage_due(level, IncidentStage.ACCEPTED, now))
        source = f"由预警“{alert.title}”转入" if alert else ("由舆情事件转入" if event else "人工登记")
        _log(incident, LogKind.OPEN, acting_user, f"受理：{source}", to_stage=IncidentStage.ACCEPTED, at=now)
        if alert is not None:
            before = alert.status
            alert.status, alert.incident = AlertStatus.INCIDENT, incident
            alert.handled_by, alert.handled_at = _actor_user(acting_user), now
            alert.save(update_fields=["status", "incident", "handled_by", "handled_at"])
            audit.record(AuditAction.UPDATE, obj=alert, changes={"status": [before, alert.status],
                                                                 "incident": [None, incident.pk]})
    return incident


def _locked(incident: Incident, expected_version: int | None) -> Incident:
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and current.version != expected_version:
        raise IncidentConflict()
    return current


def do_advance_incident(incident: Incident, *, to_stage: str, acting_user: Any, expected_version: int | None = None,
                        analysis: str | None = None, level: str | None = None, measures: str | None = None,
                        outcome: str | None = None, note: str = "") -> Incident:
    """Move to the next stage, in order only; what the stage being left requires must be filled in."""
    _require_handle(acting_user, incident.unit_id, "仅受理单位的舆情分析员可办理该事项", incident)
    if to_stage not in STAGE_ORDER:
        raise ValidationError({"to_stage": "目标环节无效"})
    if level is not None and level != "" and level not in AlertLevel.values:
        raise ValidationError({"level": "级别无效"})
    now = timezone.now()
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(incident, expected_version)
        if current.stage == IncidentStage.CLOSED:
            raise ValidationError("该事项已办结，不能再流转")
        expected = rules.next_stage(current.stage)
        if to_stage != expected:
            raise ValidationError({"to_stage": f"当前环节为“{current.get_stage_display()}”，只能转入"
                                               f"“{IncidentStage(expected).label}”，不能转入“{IncidentStage(to_stage).label}”"})
        for name, value in (("analysis", analysis), ("measures", measures), ("outcome", outcome)):
            if value is not None:
                setattr(current, name, _clean(value))
        if level:
            current.level = level
        missing = [label for name, label in rules.REQUIRED_TO_LEAVE.get(current.stage, ())
                   if not str(getattr(current, name) or "").strip()]
        if missing:
            raise ValidationError(f"{current.get_stage_display()}环节须先填写{'、'.join(missing)}")
        from_stage = current.stage
        current.stage = to_stage
        current.stage_started_at = now
        current.stage_due_at = rules.stage_due(current.level, to_stage, now)
        current.escalation_count = 0
        current.escalated_at = None
        if to_stage == IncidentStage.CLOSED:
            current.closed_at = now
        current.version += 1
        current.save()
        text = _transition_text(current, from_stage, note)
        _log(current, LogKind.ADVANCE, acting_user, text, from_stage=from_stage, to_stage=to_stage, at=now)
    return current


def _transition_text(incident: Incident, from_stage: str, note: str) -> str:
    parts = [f"{IncidentStage(from_stage).label} → {incident.get_stage_display()}"]
    if from_stage == IncidentStage.ANALYSING:
        parts.append(f"级别：{incident.get_level_display()}；研判意见：{incident.analysis[:200]}")
    elif from_stage == IncidentStage.HANDLING:
        parts.append(f"处置措施：{incident.measures[:200]}")
    elif from_stage == IncidentStage.FEEDBACK:
        parts.append(f"反馈结果：{incident.outcome[:200]}")
    if note.strip():
        parts.append(f"说明：{note.strip()[:500]}")
    return "；".join(parts)


def do_update_incident(incident: Incident, *, acting_user: Any, expected_version: int | None = None,
                       **fields: Any) -> Incident:
    """Edit the texts, the owner or the level without moving the stage."""
    _require_handle(acting_user, incident.unit_id, "仅受理单位的舆情分析员可修改该事项", incident)
    allowed = {"title", "description", "analysis", "measures", "outcome", "owner", "level"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改：{'、'.join(sorted(unknown))}")
    if "level" in fields and fields["level"] not in AlertLevel.values:
        raise ValidationError({"level": "级别无效"})
    owner = fields.get("owner")
    if owner is not None and (owner.unit_id != incident.unit_id or not owner.is_active):
        raise ValidationError({"owner": "责任人须为受理单位的在岗人员"})
    if "title" in fields and not str(fields["title"] or "").strip():
        raise ValidationError({"title": "请填写事项名称"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = _locked(incident, expected_version)
        if current.stage == IncidentStage.CLOSED:
            raise ValidationError("该事项已办结，不能再修改")
        for name, value in fields.items():
            setattr(current, name, _clean(value) if isinstance(value, str) else value)
        current.version += 1
        current.save()
    return current


def do_add_note(incident: Incident, *, text: str, acting_user: Any) -> IncidentLog:
    """A note in the history (a phone call, a leader's instruction …)."""
    _require_handle(acting_user, incident.unit_id, "仅受理单位的舆情分析员可添加记录", incident)
    text = _clean(text, 5000)
    if not text:
        raise ValidationError({"text": "请填写记录内容"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        log = _log(incident, LogKind.NOTE, acting_user, text, from_stage=incident.stage, to_stage=incident.stage)
        audit.record(AuditAction.UPDATE, obj=incident, changes={"note": text[:200]})
    return log


def do_add_statement(incident: Incident, *, text: str, acting_user: Any,
                     published_at: datetime.datetime | None = None) -> IncidentStatement:
    """A response statement (回应口径) as published."""
    _require_handle(acting_user, incident.unit_id, "仅受理单位的舆情分析员可发布回应口径", incident)
    text = _clean(text, 5000)
    if not text:
        raise ValidationError({"text": "请填写回应口径"})
    if incident.stage == IncidentStage.CLOSED:
        raise ValidationError("该事项已办结，不能再发布回应口径")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        statement = IncidentStatement.objects.create(incident=incident, text=text,
                                                     published_at=published_at or timezone.now(),
                                                     published_by=_actor_user(acting_user))
        _log(incident, LogKind.STATEMENT, acting_user, f"发布回应口径：{text[:300]}", from_stage=incident.stage,
             to_stage=incident.stage)
        audit.record(AuditAction.CREATE, obj=statement, object_repr=f"回应口径：{incident.title}"[:255],
                     changes={"incident": incident.pk, "text": text[:500]})
    return statement


def do_assign_incident_task(incident: Incident, *, unit: Any, title: str, due: datetime.date, acting_user: Any,
                            owner: Any = None, description: str = "") -> Any:
    """Raise a ledger task (SourceKind.INCIDENT) for a unit taking part in the disposal."""
    _require_handle(acting_user, incident.unit_id, "仅受理单位的舆情分析员可交办处置任务", incident)
    if incident.stage == IncidentStage.CLOSED:
        raise ValidationError("该事项已办结，不能再交办任务")
    if due is None:
        raise ValidationError({"due": "请填写完成时限"})
    if due < timezone.localdate():
        raise ValidationError({"due": "完成时限不能早于今天"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        # The analyst coordinates the disposal across units: the permission is checked above (the
        # incident's unit), not the ledger's change scope over the receiving unit.
        task = create_task(unit=unit, title=title, due_date=due, acting_user=acting_user, owner=owner,
                           description=description or f"舆情处置：{incident.title}", source=incident,
                           source_kind=SourceKind.INCIDENT, origin=f"舆情处置：{incident.title}"[:300],
                           check_scope=False)
        _log(incident, LogKind.TASK, acting_user, f"交办任务：{task.title}（{unit.name}，{due:%Y-%m-%d} 前完成）",
             from_stage=incident.stage, to_stage=incident.stage)
    return task


# --- settings ---------------------------------------------------------------------------------------


def do_update_settings(*, acting_user: Any, expected_version: int | None = None, **fields: Any) -> OpinionSettings:
    if not rules.can_manage(acting_user):
        deny(acting_user, "仅舆情分析员可修改处置设置", object_type="opinion.opinionsettings")
    allowed = {"working_hours", "deadlines", "quiet_start", "quiet_end"}
    if set(fields) - allowed:
        raise ValidationError("设置项无效")
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        settings = OpinionSettings.objects.select_for_update().order_by("pk").first() or OpinionSettings()
        if settings.pk and expected_version is not None and settings.version != expected_version:
            raise ValidationError("设置已被他人修改，请刷新后再提交", code="conflict")
        for key, value in fields.items():
            setattr(settings, key, value)
        if not settings.windows():
            raise ValidationError({"working_hours": "请至少设置一个有效的工作时段"})
        if settings.pk:
            settings.version += 1
        settings.save()
    return settings


# --- duty handover ----------------------------------------------------------------------------------


def open_summary(user: Any = None) -> str:
    """What is open right now: alerts not yet handled and incidents not closed, as text."""
    alerts = Alert.objects.filter(status=AlertStatus.NEW)
    incidents = Incident.objects.filter(stage__in=OPEN_STAGES)
    if user is not None:
        alerts = alerts.visible_to(user, "view")
        incidents = incidents.visible_to(user, "view")
    lines = [f"未签收预警 {alerts.count()} 条"]
    for alert in alerts.order_by("-created_at")[:20]:
        lines.append(f"  · 【{alert.get_level_display()}】{alert.title}（{timezone.localtime(alert.created_at):%m-%d %H:%M}）")
    lines.append(f"在办处置事项 {incidents.count()} 件")
    for incident in incidents.order_by("stage_due_at")[:20]:
        due = f"，时限 {timezone.localtime(incident.stage_due_at):%m-%d %H:%M}" if incident.stage_due_at else ""
        lines.append(f"  · 【{incident.get_level_display()}】{incident.title}（{incident.get_stage_display()}{due}）")
    return "\n".join(lines)


def do_hand_over(duty: Any, *, shift_date: datetime.date, from_person: Any, to_person: Any, notes: str = "",
                 acting_user: Any) -> DutyHandover:
    """交班: the outgoing person records the handover with a snapshot of what is open."""
    from core.scoping import unit_in_scope

    if not unit_in_scope(acting_user, duty.unit_id, "work"):
        deny(acting_user, "仅值守单位人员可记录交接班", obj=duty)
    if from_person.pk == to_person.pk:
        raise ValidationError({"to_person": "交班人与接班人不能是同一人"})
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        return DutyHandover.objects.create(
            duty=duty, shift_date=shift_date, from_person=from_person, to_person=to_person,
            handed_over_at=timezone.now(), summary=open_summary(acting_user), notes=_clean(notes, 5000),
            created_by=_actor_user(acting_user))


def do_acknowledge_handover(handover: DutyHandover, *, acting_user: Any) -> DutyHandover:
    """接班确认: only the receiving person."""
    if handover.to_person.user_id != getattr(acting_user, "pk", None):
        deny(acting_user, "仅接班人本人可确认接班", obj=handover)
    with transaction.atomic(), audit.audit_context(actor=acting_user):
        current = DutyHandover.objects.select_for_update().get(pk=handover.pk)
        if current.acknowledged_at:
            raise ValidationError("已确认接班")
        current.acknowledged_at, current.acknowledged_by = timezone.now(), acting_user
        current.save()
    return current
