from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config import ops

handler500 = "config.ops.server_error"

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("", RedirectView.as_view(pattern_name="apikeys:index", permanent=False)),
    path("", include("accounts.urls")),
    path("api-management/", include("reviews.urls")),
    path("api-management/", include("apikeys.urls")),
    path("subaccounts/", include("subaccounts.urls")),
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
]
