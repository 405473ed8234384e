from django.contrib import admin
from django.urls import include, path

from cairn.api import api

urlpatterns = [
    path("", include("cairn.core.urls")),
    path("", include("cairn.accounts.urls")),
    path("audit/", include("cairn.audit.urls")),
    path("intelligence/", include("cairn.intelligence.urls")),
    path("entities/", include("cairn.entities.urls")),
    path("search/", include("cairn.search.urls")),
    path("notifications/", include("cairn.notifications.urls")),
    path("linking/", include("cairn.linking.urls")),
    path("network/", include("cairn.network.urls")),
    path("groups/", include("cairn.groups.urls")),
    path("staff/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler404 = "cairn.core.views.not_found"
handler500 = "cairn.core.views.server_error"
