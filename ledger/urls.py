from django.urls import include, path, re_path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("mine/", views.my_tasks, name="my_tasks"),
    path("unit/", views.unit_tasks, name="unit_tasks"),
    path("new/", views.task_create, name="task_create"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/progress/", views.task_progress, name="task_progress"),
    path("<int:pk>/confirm/", views.task_confirm, name="task_confirm"),
    path("<int:pk>/return/", views.task_return, name="task_return"),
    path("<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("workday-hint/", views.workday_hint, name="workday_hint"),
    path("overview/", views.overview, name="overview"),
    path("calendar/", views.task_calendar, name="calendar"),
    path("export.xlsx", views.export_xlsx, name="export"),
    re_path(r"^ics/(?P<secret>[1-9][0-9]{0,18}-[0-9a-f]{40})\.ics$", views.ics_feed, name="ics_feed"),
    path("report/<int:plan_id>.docx", views.plan_report, name="plan_report"),
    path("", include("ledger.urls_supervision")),
]
