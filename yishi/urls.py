from django.urls import include, path

from core.api import api
from core.views.home import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    path("org/", include("org.urls")),
    path("plans/", include("plans.urls")),
    path("ledger/", include("ledger.urls")),
    path("risks/meetings/", include("risks.meetings.urls")),
    path("risks/", include("risks.urls")),
    path("opinion/", include("opinion.urls")),
    path("", include("core.urls")),
]
