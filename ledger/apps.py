from django.apps import AppConfig


class LedgerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ledger"
    verbose_name = "任务台账"
    nav = [
        {"label": "任务台账", "url": "ledger:task_list", "icon": "list-check", "order": 30},
        {"label": "督办", "url": "ledger:supervision_list", "icon": "flag", "order": 31},
        {"label": "值班", "url": "ledger:duty_list", "icon": "calendar-time", "order": 32},
    ]
    home_panels = [
        {"title": "我的待办", "template": "ledger/_home_panel.html", "context": "ledger.views.home_panel_context",
         "order": 10},
        {"title": "督办事项", "template": "ledger/supervision_home_panel.html",
         "context": "ledger.supervision_views.home_panel", "order": 25},
    ]

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from ledger.models import LedgerSettings
        post_save.connect(LedgerSettings.forget, sender=LedgerSettings, dispatch_uid="ledger_settings_save")
        post_delete.connect(LedgerSettings.forget, sender=LedgerSettings, dispatch_uid="ledger_settings_delete")

    @property
    def periodic_jobs(self) -> list:
        from core.scheduler import PeriodicJob

        return [
            PeriodicJob("ledger.daily_reminders", "30 8 * * *", "ledger.jobs.daily_reminders",
                        "每日到期提醒、逾期通知与上报、督办超期提醒"),
        ]
