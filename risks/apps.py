from django.apps import AppConfig


class RisksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "risks"
    verbose_name = "风险防控"
    nav: list[dict] = []
    home_panels: list[dict] = []
