from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    """研判会 / 联席会议 and 应急预案 / 演练: part of the risks module, its own app for its own tables."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "risks.meetings"
    label = "meetings"
    verbose_name = "研判会与应急演练"
    nav: list[dict] = []
    home_panels: list[dict] = []
