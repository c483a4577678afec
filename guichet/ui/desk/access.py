"""Who may use the desk, and what every desk page knows about the person using it.

`desk_view` wraps each desk page: anonymous visitors are sent to the login page, signed-in users
without any membership get a 403 page that says so, and the request carries the user's first
organization (for branding) and their memberships (for the navigation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from guichet.core.scopes import access_scope
from guichet.live.events import DESK_KINDS
from guichet.organizations.models import Membership, Organization, Role, User


class DeskRequest(HttpRequest):
    """An `HttpRequest` as desk views receive it (for type checking only)."""

    user: User
    htmx: HtmxDetails
    organization: Organization | None
    desk_memberships: list[Membership]


DeskView = Callable[..., HttpResponseBase]


def desk_view(view: DeskView) -> Callable[..., HttpResponseBase]:
    """Require a signed-in member; attach the organization and memberships to the request."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        memberships = list(
            Membership.objects.filter(user_id=request.user.pk)
            .select_related("organization")
            .order_by("pk")
        )
        desk_request = cast(DeskRequest, request)
        desk_request.desk_memberships = memberships
        desk_request.organization = memberships[0].organization if memberships else None
        if access_scope(request.user).is_empty:
            return render_desk(desk_request, "desk/no_access.html", status=403)
        return view(desk_request, *args, **kwargs)

    return wrapped


def shows_admin_link(request: DeskRequest) -> bool:
    return request.user.is_staff or any(
        membership.role == Role.ADMINISTRATOR for membership in request.desk_memberships
    )


def render_desk(
    request: DeskRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    section: str = "",
) -> HttpResponse:
    """Render a desk page with what the navigation needs."""
    base = {
        "desk_section": section,
        "desk_admin_link": shows_admin_link(request),
        "desk_supervision_link": any(m.sees_whole_organization for m in request.desk_memberships),
        # The live events that make desk fragments re-fetch themselves (guichet/live).
        "live_events": " ".join(DESK_KINDS),
    }
    return render(request, template, {**base, **(context or {})}, status=status)


def render_not_found(request: DeskRequest) -> HttpResponse:
    """The same answer for what does not exist and what the user may not see: no existence oracle."""
    return render_desk(request, "desk/not_found.html", status=404)
