"""URL map: the portal for citizens, the desk for agents, the REST API, the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("desk/", include("guichet.ui.desk.urls")),
    path("supervision/", include("guichet.ui.supervision.urls")),
    path("live/", include("guichet.live.urls")),
    path("api/", include("guichet.api.urls")),
    path("webhooks/email/", include("guichet.channels.email.webhooks")),
    path("", include("guichet.ui.portal.urls")),
]
