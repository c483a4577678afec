"""The project's URLs with the provider webhooks mounted where guichet/config/urls.py mounts them
(`webhooks/email/`), so that these tests do not depend on that line being there."""

from django.urls import include, path

from guichet.config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("webhooks/email/", include("guichet.channels.email.webhooks")),
    *(p for p in project_urlpatterns if "webhooks/email/" not in str(p.pattern)),
]
