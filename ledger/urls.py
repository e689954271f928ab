from django.urls import include, path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("", include("ledger.urls_supervision")),
]
