"""URLs of the supervisor wallboard (mounted under /supervision/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from guichet.ui.supervision import repeats, views

app_name = "supervision"

urlpatterns: list[URLPattern] = [
    path("", views.wallboard, name="wallboard"),
    path("demandes/<reference:reference>/deplacer/", views.move_case, name="move_case"),
    path("recontacts/", repeats.repeat_contacts, name="repeat_contacts"),
]
