from django.urls import path

from org import responsibility_views as rv
from org import views

app_name = "org"

urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/toggle-active/", views.unit_toggle_active, name="unit_toggle_active"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/roles/add/", views.role_add, name="role_add"),
    path("roles/<int:pk>/remove/", views.role_remove, name="role_remove"),
    path("aliases/", views.alias_list, name="alias_list"),
    path("aliases/<int:pk>/delete/", views.alias_delete, name="alias_delete"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    # Responsibility (压实主体责任): lists, letters, duty reports, contact points.
    path("responsibility/", rv.list_index, name="list_index"),
    path("responsibility/lists/new/", rv.list_create, name="list_create"),
    path("responsibility/lists/<int:pk>/", rv.list_detail, name="list_detail"),
    path("responsibility/lists/<int:pk>/edit/", rv.list_edit, name="list_edit"),
    path("responsibility/lists/<int:pk>/publish/", rv.list_publish, name="list_publish"),
    path("responsibility/lists/<int:pk>/revise/", rv.list_revise, name="list_revise"),
    path("responsibility/lists/<int:pk>/export.docx", rv.list_export, name="list_export"),
    path("responsibility/letters/", rv.letter_list, name="letter_list"),
    path("responsibility/letters/templates/new/", rv.template_create, name="template_create"),
    path("responsibility/letters/templates/<int:pk>/", rv.template_detail, name="template_detail"),
    path("responsibility/letters/templates/<int:pk>/send/", rv.template_send, name="template_send"),
    path("responsibility/letters/<int:pk>/", rv.letter_detail, name="letter_detail"),
    path("responsibility/letters/<int:pk>/sign/", rv.letter_sign, name="letter_sign"),
    path("responsibility/letters/<int:pk>/edit/", rv.letter_edit, name="letter_edit"),
    path("responsibility/letters/<int:pk>/export.docx", rv.letter_export, name="letter_export"),
    path("responsibility/duty-reports/", rv.duty_report_list, name="duty_report_list"),
    path("responsibility/duty-reports/schedules/new/", rv.schedule_create, name="schedule_create"),
    path("responsibility/duty-reports/<int:pk>/", rv.duty_report_detail, name="duty_report_detail"),
    path("responsibility/duty-reports/<int:pk>/submit/", rv.duty_report_submit, name="duty_report_submit"),
    path("responsibility/duty-reports/<int:pk>/comment/", rv.duty_report_comment, name="duty_report_comment"),
    path("responsibility/contacts/", rv.contact_list, name="contact_list"),
    path("responsibility/contacts/new/", rv.contact_create, name="contact_create"),
    path("responsibility/contacts/<int:pk>/edit/", rv.contact_edit, name="contact_edit"),
]
