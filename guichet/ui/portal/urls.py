"""The citizen portal's addresses (French paths: the public reads them)."""

from django.urls import path

import guichet.ui.converters  # noqa: F401 — registers the path converters
from guichet.ui.portal import assistant, callbacks, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("portail/<slug:org_slug>/", views.organization_home, name="organization"),
    path("portail/<slug:org_slug>/logo/", views.logo, name="logo"),
    path("portail/<slug:org_slug>/demande/", views.request_form, name="request"),
    path("portail/<slug:org_slug>/demande/recue/<str:signed>/", views.received, name="received"),
    path("portail/<slug:org_slug>/suivi/<token:token>/", views.tracking, name="tracking"),
    path(
        "portail/<slug:org_slug>/suivi/<token:token>/rappel/",
        callbacks.callback_for_case,
        name="tracking_callback",
    ),
    path("portail/<slug:org_slug>/rappel/", callbacks.callback_request, name="callback"),
    path("portail/<slug:org_slug>/aide/", assistant.assistant, name="assistant"),
    path(
        "portail/<slug:org_slug>/aide/agent/",
        assistant.assistant_handover,
        name="assistant_handover",
    ),
    path(
        "portail/<slug:org_slug>/aide/recommencer/",
        assistant.assistant_restart,
        name="assistant_restart",
    ),
    path(
        "portail/<slug:org_slug>/aide/articles/<int:pk>/",
        assistant.assistant_article,
        name="assistant_article",
    ),
    path(
        "portail/<slug:org_slug>/suivi/<token:token>/documents/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
]
