from django.urls import path

from risks import views

app_name = "risks"

urlpatterns = [
    path("", views.risk_list, name="risk_list"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("heatmap/", views.risk_heatmap, name="heatmap"),
    path("new/", views.risk_create, name="risk_create"),
    path("<int:pk>/", views.risk_detail, name="risk_detail"),
    path("<int:pk>/edit/", views.risk_edit, name="risk_edit"),
    path("<int:pk>/step/", views.risk_step, name="risk_step"),
    path("<int:pk>/flag/", views.risk_flag, name="risk_flag"),
    path("<int:pk>/request-close/", views.risk_request_close, name="risk_request_close"),
    path("<int:pk>/verify/", views.risk_verify, name="risk_verify"),
    path("<int:pk>/follow-up/", views.risk_follow_up, name="risk_follow_up"),
    path("screening/", views.campaign_list, name="campaign_list"),
    path("screening/new/", views.campaign_create, name="campaign_create"),
    path("screening/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("screening/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("checks/<int:pk>/", views.self_check, name="self_check"),
    path("settings/", views.risk_settings, name="settings"),
]
