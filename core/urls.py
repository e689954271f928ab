from django.urls import path

from core.views import audit, auth, calendar, files, home, inbox, preferences, tokens, users

app_name = "core"

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth.login_view, name="login"),
    path("accounts/logout/", auth.logout_view, name="logout"),
    path("accounts/password/", auth.password_change_view, name="password_change"),
    path("accounts/users/", users.user_list, name="user_list"),
    path("accounts/users/<int:pk>/unlock/", users.user_unlock, name="user_unlock"),
    path("accounts/users/<int:pk>/reset-password/", users.user_reset_password, name="user_reset_password"),
    path("accounts/tokens/", tokens.token_list, name="token_list"),
    path("accounts/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/badge/", inbox.badge, name="inbox_badge"),
    path("inbox/<int:pk>/read/", inbox.mark_read, name="inbox_read"),
    path("inbox/read-all/", inbox.mark_all_read, name="inbox_read_all"),
    path("settings/notifications/", preferences.preferences, name="preferences"),
    path("settings/webhooks/<int:pk>/delete/", preferences.webhook_delete, name="webhook_delete"),
    path("settings/webhooks/<int:pk>/test/", preferences.webhook_test, name="webhook_test"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export.xlsx", audit.audit_export, name="audit_export"),
    path("calendar/", calendar.calendar_view, name="calendar"),
    path("calendar/<int:pk>/delete/", calendar.override_delete, name="calendar_override_delete"),
    path("files/<int:pk>/", files.download, name="file_download"),
]
