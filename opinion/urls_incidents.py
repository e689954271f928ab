"""URLs of alerts, alert rules, incidents, reports and the duty handover log (included by opinion.urls)."""

from django.urls import path

from opinion import views_incidents as views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/raise/", views.alert_raise, name="alert_raise"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/ack/", views.alert_ack, name="alert_ack"),
    path("alerts/<int:pk>/dismiss/", views.alert_dismiss, name="alert_dismiss"),
    path("alerts/<int:pk>/incident/", views.alert_incident, name="alert_incident"),
    path("alert-rules/", views.alert_rule_list, name="alert_rule_list"),
    path("alert-rules/new/", views.alert_rule_edit, name="alert_rule_create"),
    path("alert-rules/<int:pk>/edit/", views.alert_rule_edit, name="alert_rule_edit"),
    path("alert-rules/<int:pk>/delete/", views.alert_rule_delete, name="alert_rule_delete"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new/", views.incident_create, name="incident_create"),
    path("incidents/settings/", views.incident_settings, name="incident_settings"),
    path("incidents/export/", views.incident_export, name="incident_export"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/advance/", views.incident_advance, name="incident_advance"),
    path("incidents/<int:pk>/note/", views.incident_note, name="incident_note"),
    path("incidents/<int:pk>/statement/", views.incident_statement, name="incident_statement"),
    path("incidents/<int:pk>/task/", views.incident_task, name="incident_task"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/generate/", views.report_generate, name="report_generate"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("duty/", views.duty, name="duty"),
    path("duty/handovers/<int:pk>/ack/", views.duty_ack, name="duty_ack"),
]
