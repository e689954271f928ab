"""URLs of the opinion app under /opinion/."""

from django.urls import include, path  # noqa: F401

from opinion import views

app_name = "opinion"

urlpatterns: list = [
    path("", views.wall, name="wall"),
    path("wall/stream/", views.wall_stream, name="wall_stream"),
    path("items/", views.item_list, name="item_list"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/label/", views.item_label, name="item_label"),
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/check/", views.rule_check, name="rule_check"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/new/", views.source_create, name="source_create"),
    path("sources/allowlist/", views.allowlist, name="allowlist"),
    path("sources/allowlist/<int:pk>/delete/", views.allowlist_delete, name="allowlist_delete"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("sources/<int:pk>/fetch/", views.source_fetch, name="source_fetch"),
    path("sources/<int:pk>/token/", views.source_token, name="source_token"),
    path("sources/<int:pk>/import/", views.source_import, name="source_import"),
    path("", include("opinion.urls_incidents")),
]
