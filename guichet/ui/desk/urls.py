"""URLs of the agent desk (mounted under /desk/)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

import guichet.ui.converters  # noqa: F401 — registers the path converters
from guichet.ui.desk import suggestions
from guichet.ui.desk.views import attachments, callbacks, case, citizen, queue
from guichet.ui.desk.views import routing as routing_views

app_name = "desk"

urlpatterns: list[URLPattern] = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            template_name="desk/login.html",
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("", queue.queue, name="queue"),
    path("demandes/<reference:reference>/", case.case_detail, name="case"),
    path("demandes/<reference:reference>/repondre/", case.case_reply, name="case_reply"),
    path("demandes/<reference:reference>/note/", case.case_note, name="case_note"),
    path("demandes/<reference:reference>/attribuer/", case.case_assign, name="case_assign"),
    path("demandes/<reference:reference>/transferer/", case.case_transfer, name="case_transfer"),
    path("demandes/<reference:reference>/statut/", case.case_transition, name="case_transition"),
    path("demandes/<reference:reference>/priorite/", case.case_priority, name="case_priority"),
    path("demandes/<reference:reference>/motif/", case.case_topic, name="case_topic"),
    path("demandes/<reference:reference>/separer/", case.case_split, name="case_split"),
    path(
        "demandes/<reference:reference>/rappels/",
        callbacks.case_callbacks,
        name="case_callbacks",
    ),
    path("rappels/", callbacks.callback_list, name="callbacks"),
    path(
        "rappels/<int:callback_id>/resultat/", callbacks.callback_outcome, name="callback_outcome"
    ),
    path(
        "demandes/<reference:reference>/suggestions/",
        suggestions.case_suggestions,
        name="case_suggestions",
    ),
    path(
        "demandes/<reference:reference>/suggestions/inserer/",
        suggestions.case_suggestion_insert,
        name="case_suggestion_insert",
    ),
    path("usagers/<int:citizen_id>/", citizen.citizen_detail, name="citizen"),
    path("usagers/<int:citizen_id>/fusion/", citizen.citizen_merge, name="citizen_merge"),
    path("pieces-jointes/<int:attachment_id>/", attachments.attachment_download, name="attachment"),
    # Routing: presence, offers, next item, heartbeat (guichet/ui/desk/views/routing.py).
    path("routage/", routing_views.routing_panel, name="routing"),
    path("routage/battement/", routing_views.routing_heartbeat, name="routing_heartbeat"),
    path("routage/presence/", routing_views.routing_presence, name="routing_presence"),
    path("routage/suivant/", routing_views.routing_next, name="routing_next"),
    path(
        "routage/offres/<int:item_id>/accepter/",
        routing_views.routing_accept,
        name="routing_accept",
    ),
    path(
        "routage/offres/<int:item_id>/refuser/",
        routing_views.routing_decline,
        name="routing_decline",
    ),
]
