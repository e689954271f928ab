from django.apps import AppConfig


class RisksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "risks"
    verbose_name = "风险防控"
    nav: list[dict] = [
        {"label": "风险防控", "url": "risks:risk_list", "icon": "alert-triangle", "order": 40},
    ]
    home_panels: list[dict] = [
        {"title": "未销号风险", "template": "risks/_home_panel.html", "context": "risks.views.home_panel_context",
         "order": 30},
    ]
    # The meetings app pre-fills analysis-meeting agendas from risks.selectors.open_risks itself.

    @property
    def periodic_jobs(self) -> list:
        from core.scheduler import PeriodicJob

        return [
            PeriodicJob("risks.progress_reports", "10 8 * * *", "risks.jobs.progress_reports",
                        "挂牌督办风险：按频次布置下一期进展报告任务"),
            PeriodicJob("risks.monthly_screening", "40 7 * * *", "risks.jobs.monthly_screening",
                        "每月第一个工作日发起当月日常排查（各单位自查，月末最后一个工作日截止）"),
        ]
