from django.apps import AppConfig


class LedgerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ledger"
    verbose_name = "任务台账"
    nav = [{"label": "任务台账", "url": "ledger:task_list", "icon": "list-check", "order": 30}]
    home_panels = [
        {"title": "我的待办", "template": "ledger/_home_panel.html", "context": "ledger.views.home_panel_context",
         "order": 10},
    ]
