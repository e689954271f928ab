from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """研判会 / 联席会议 and 应急预案 / 演练: part of the risks module, its own app for its own tables."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "risks.meetings"
    label = "meetings"
    verbose_name = "研判会与应急演练"
    nav = [
        {"label": "研判会与演练", "url": "meetings:meeting_list", "icon": "users-group", "order": 45},
    ]
    home_panels = [
        {"title": "近期研判会", "template": "meetings/_home_panel.html",
         "context": "risks.meetings.views.home_panel_context", "order": 40},
    ]
    # Where a meeting's agenda is pre-filled from (see risks/meetings/agenda.py). Other apps add
    # theirs the same way, e.g. opinion: {"key": "incidents", "label": "新发舆情事件", "func": …, "order": 20}.
    meeting_agenda_sources = [
        {"key": "risks", "label": "未销号风险", "func": "risks.meetings.agenda.open_risks", "order": 10},
        {"key": "overdue", "label": "逾期事项", "func": "risks.meetings.agenda.overdue_tasks", "order": 30},
    ]
