from django.apps import AppConfig


class OpinionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opinion"
    verbose_name = "舆情监测"
    nav: list[dict] = [
        {"label": "舆情监测", "url": "opinion:wall", "icon": "radar", "order": 50, "perm": "opinion.view"},
    ]
    home_panels: list[dict] = [
        {"title": "舆情动态", "template": "opinion/_home_panel.html", "context": "opinion.views.home_panel_context",
         "order": 35, "perm": "opinion.view"},
    ]
    meeting_agenda_sources = [
        {"key": "incidents", "label": "新发舆情事件", "func": "opinion.incidents.agenda_incidents", "order": 20},
    ]

    def ready(self) -> None:
        import sys
        import threading

        if len(sys.argv) > 1 and sys.argv[1] in ("db_worker", "rqworker"):
            # A worker's first batch would otherwise spend ~1.5 s loading jieba and building the
            # full-mode automaton: do it while the worker waits for work (no database involved).
            from opinion.pipeline import warm_up

            threading.Thread(target=warm_up, name="opinion-warm-up", daemon=True).start()

    @property
    def periodic_jobs(self) -> list:
        from core.scheduler import PeriodicJob

        return [
            PeriodicJob("opinion.fetch_due", "* * * * *", "opinion.jobs.fetch_due_sources",
                        "抓取到期的信息源（按各源间隔）"),
            PeriodicJob("opinion.sweep", "*/2 * * * *", "opinion.jobs.sweep_pending",
                        "重新处理滞留的舆情信息（工作进程中断后不丢数据）"),
            PeriodicJob("opinion.escalate", "*/5 * * * *", "opinion.jobs_incidents.escalate_incidents",
                        "舆情处置超时升级提醒"),
            PeriodicJob("opinion.daily_report", "0 8 * * *", "opinion.jobs_incidents.daily_report",
                        "生成舆情日报"),
        ]
