from django.urls import path

from risks.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/agenda/prefill/", views.agenda_prefill, name="agenda_prefill"),
    path("<int:pk>/agenda/", views.agenda_add, name="agenda_add"),
    path("<int:pk>/agenda/<int:item_id>/", views.agenda_item, name="agenda_item"),
    path("<int:pk>/record/", views.meeting_record, name="meeting_record"),
    path("<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("<int:pk>/report.docx", views.meeting_report, name="meeting_report"),
    path("series/", views.series_list, name="series_list"),
    path("series/new/", views.series_create, name="series_create"),
    path("series/<int:pk>/", views.series_detail, name="series_detail"),
    path("series/<int:pk>/edit/", views.series_edit, name="series_edit"),
    path("series/<int:pk>/generate/", views.series_generate, name="series_generate"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("drills/", views.drill_list, name="drill_list"),
    path("drills/<int:pk>/", views.drill_detail, name="drill_detail"),
    path("drills/<int:pk>/record/", views.drill_record, name="drill_record"),
    path("drills/<int:pk>/findings/", views.drill_finding, name="drill_finding"),
    path("checks/", views.check_list, name="check_list"),
    path("checks/new/", views.check_create, name="check_create"),
    path("checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("checks/templates/", views.template_list, name="template_list"),
    path("checks/templates/new/", views.template_edit, name="template_create"),
    path("checks/templates/<int:pk>/", views.template_edit, name="template_edit"),
]
