"""Demo data of alerts and incidents: settings, alert rules of the root unit, the alerts they raise
over the demo items, and two incidents at different stages. Safe to run again (matched by name;
incidents only when there are none). Run after opinion.demo.load_demo_opinion."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core import audit


def _acting_user() -> Any:
    """An administrator to act as (incidents of the root unit): the demo's writes are audited as them."""
    from core.models import User
    from core.roles import Role

    return (User.objects.filter(person__roles__role=Role.SYSADMIN, is_active=True).order_by("pk").first()
            or User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first())


def load_demo_incidents() -> dict[str, int]:
    from opinion import actions, alerting
    from opinion.demo import _root_unit
    from opinion.models import Alert, AlertRule, Event, Incident, Item, KeywordRule, OpinionSettings

    unit = _root_unit()
    if unit is None:
        return {"rules": 0, "alerts": 0, "incidents": 0}
    with audit.system_context(via="command"):
        if not OpinionSettings.objects.exists():
            OpinionSettings.objects.create()
        sensitive = KeywordRule.objects.filter(unit=unit, purpose="sensitive").order_by("pk").first()
        specs = [
            {"name": "负面舆情（黄色）", "mode": "negative", "level": "yellow", "min_confidence": 0.6},
            {"name": "敏感词（橙色）", "mode": "sensitive", "level": "orange", "keyword_rule": sensitive},
            {"name": "热度过高（红色）", "mode": "threshold", "level": "red", "metric": "heat", "threshold": 60},
            {"name": "负面占比（橙色）", "mode": "threshold", "level": "orange", "metric": "negative_share",
             "threshold": 0.6, "window_minutes": 24 * 60},
        ]
        for spec in specs:
            if spec["mode"] == "sensitive" and sensitive is None:
                continue
            AlertRule.objects.get_or_create(unit=unit, name=spec["name"],
                                            defaults={k: v for k, v in spec.items() if k != "name"})
        since = timezone.now() - timezone.timedelta(days=3)
        items = list(Item.objects.filter(stage="done", received_at__gte=since).order_by("pk")[:500])
        events = list(Event.objects.filter(last_seen__gte=since).order_by("-heat")[:50])
        alerting.evaluate(items, events)
    user = _acting_user()
    opened = 0
    if user is not None and not Incident.objects.exists():
        alerts = list(Alert.objects.filter(event__isnull=False, incident__isnull=True).order_by("-level", "pk")[:2])
        for n, alert in enumerate(alerts):
            incident = actions.do_open_incident(alert=alert, unit=unit, acting_user=user)
            opened += 1
            incident = actions.do_advance_incident(incident, to_stage="analysing", acting_user=user)
            if n == 0:
                incident = actions.do_advance_incident(
                    incident, to_stage="handling", analysis="反映问题基本属实，关注度上升，需主管部门及时回应。",
                    acting_user=user)
                actions.do_add_statement(incident, text="我市高度重视，已责成主管部门调查核实，结果将及时向社会公布。",
                                         acting_user=user)
    return {"rules": AlertRule.objects.filter(unit=unit).count(), "alerts": Alert.objects.count(),
            "incidents": opened}
