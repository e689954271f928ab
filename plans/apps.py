from django.apps import AppConfig


class PlansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plans"
    verbose_name = "工作要点"
    nav = [{"label": "工作要点", "url": "plans:plan_list", "icon": "file-text", "order": 20}]
