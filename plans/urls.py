from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("import/", views.import_start, name="import"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/meta/", views.draft_meta, name="draft_meta"),
    path("import/<int:pk>/items/<int:number>/", views.draft_item, name="draft_item"),
    path("import/<int:pk>/items/<int:number>/title/", views.draft_item_title, name="draft_item_title"),
    path("import/<int:pk>/items/<int:number>/obligations/new/", views.draft_obligation_add,
         name="draft_obligation_add"),
    path("import/<int:pk>/items/<int:number>/obligations/<int:idx>/", views.draft_obligation_edit,
         name="draft_obligation_edit"),
    path("import/<int:pk>/items/<int:number>/obligations/<int:idx>/delete/", views.draft_obligation_delete,
         name="draft_obligation_delete"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
]
