from django.apps import AppConfig


class OrgConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "org"
    verbose_name = "组织"
    nav = [
        {"label": "组织机构", "url": "org:unit_list", "icon": "sitemap", "order": 10},
        {"label": "主体责任", "url": "org:list_index", "icon": "file-certificate", "order": 25},
    ]
    home_panels = [
        {"title": "我的单位", "template": "org/_home_panel.html", "context": "org.views.home_panel_context", "order": 90},
        {"title": "待签署的责任书与待交的履职报告", "template": "org/responsibility/_home_panel.html",
         "context": "org.responsibility_views.home_panel_context", "order": 30},
    ]
