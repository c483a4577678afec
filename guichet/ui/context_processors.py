"""Branding for every page: the organization's name, logo and colour."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guichet.core.colors import darken

DEFAULT_COLOUR = "#1d4ed8"


def branding(request: HttpRequest) -> dict[str, Any]:
    organization = getattr(request, "organization", None)
    colour = getattr(organization, "primary_color", "") or DEFAULT_COLOUR
    return {
        "brand_organization": organization,
        "brand_colour": colour,
        "brand_colour_hover": darken(colour, 0.8),
    }
