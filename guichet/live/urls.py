"""URLs of the live stream (mounted under /live/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from guichet.live import views

app_name = "live"

urlpatterns: list[URLPattern] = [
    path("evenements/", views.live_events, name="events"),
]
