"""Supervision (督办), response rules, ledger settings and duty rosters; included by ledger/urls.py."""

from django.urls import path

from ledger import supervision_views as views

urlpatterns = [
    path("supervision/", views.supervision_list, name="supervision_list"),
    path("supervision/<int:pk>/", views.supervision_detail, name="supervision_detail"),
    path("supervision/<int:pk>/acknowledge/", views.supervision_acknowledge, name="supervision_acknowledge"),
    path("supervision/<int:pk>/measures/", views.supervision_measures, name="supervision_measures"),
    path("supervision/<int:pk>/request-close/", views.supervision_request_close, name="supervision_request_close"),
    path("supervision/<int:pk>/close/", views.supervision_close, name="supervision_close"),
    path("supervision/<int:pk>/return/", views.supervision_return, name="supervision_return"),
    path("supervision/issue/<int:task_pk>/", views.supervision_issue, name="supervision_issue"),
    path("supervision/rules/", views.rule_list, name="rule_list"),
    path("supervision/rules/new/", views.rule_create, name="rule_create"),
    path("supervision/rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("settings/", views.settings_edit, name="settings_edit"),
    path("duties/", views.duty_list, name="duty_list"),
    path("duties/new/", views.duty_create, name="duty_create"),
    path("duties/<int:pk>/", views.duty_detail, name="duty_detail"),
    path("duties/<int:pk>/shifts/", views.duty_shift_add, name="duty_shift_add"),
    path("duties/<int:pk>/shifts/<int:shift_pk>/delete/", views.duty_shift_delete, name="duty_shift_delete"),
    path("duties/<int:pk>/rotate/", views.duty_rotate, name="duty_rotate"),
    path("duties/<int:pk>/log/", views.duty_log_add, name="duty_log_add"),
    path("duties/<int:pk>/toggle/", views.duty_toggle, name="duty_toggle"),
]
