"""Routing on the desk: the agent's presence, the offers made to them (accept / decline), the
"next item" button (pull mode) and the heartbeat that keeps their presence alive.

The bar in the desk header loads this panel with htmx and posts the heartbeat every 20 seconds;
without JavaScript, the "Presence and offers" link opens the same panel as a page, and every
button is a plain form. An agent member of several organizations has a presence, offers and a
"next item" button in each: every form carries its organization, the heartbeat keeps them all
alive.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guichet.routing.actions import (
    ItemNotFound,
    RoutingError,
    do_accept_offer,
    do_decline_offer,
    do_heartbeat,
    do_pull_next_item,
    do_set_presence,
)
from guichet.routing.models import PresenceState, RoutingItem
from guichet.routing.queries import desk_routing
from guichet.ui.desk.access import DeskRequest, desk_view, render_desk


class PresenceForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("My presence"), choices=PresenceState.choices)


def _organization_ids(request: DeskRequest) -> list[int]:
    """The organizations the agent works in, the desk's own first."""
    ids = [m.organization_id for m in request.desk_memberships]
    return list(dict.fromkeys(ids))


def _organization_id(request: DeskRequest) -> int | None:
    """The organization a form names (`organization`), if the agent works in it; without one,
    the desk's organization. None: an organization the agent does not work in."""
    ids = _organization_ids(request)
    wanted = request.POST.get("organization", "")
    if not wanted:
        assert request.organization is not None  # noqa: S101 — desk_view refuses users without one
        return request.organization.pk
    if wanted.isdigit() and int(wanted) in ids:
        return int(wanted)
    return None


def _render_panel(request: DeskRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    names = {m.organization_id: m.organization.name for m in request.desk_memberships}
    panels = [
        (names[organization_id], desk_routing(request.user, organization_id))
        for organization_id in _organization_ids(request)
    ]
    context = {
        "panels": panels,
        "several": len(panels) > 1,
        "presence_choices": PresenceState.choices,
        "routing_error": error,
    }
    if request.htmx:
        return render_desk(request, "desk/_routing_panel.html", context, status=status)
    return render_desk(request, "desk/routing.html", context, status=status, section="routing")


def _done(request: DeskRequest, url: str) -> HttpResponseBase:
    """After a successful action: the fresh panel for htmx, a redirect otherwise."""
    if request.htmx:
        return _render_panel(request)
    return redirect(url)


@require_GET
@desk_view
def routing_panel(request: DeskRequest) -> HttpResponse:
    return _render_panel(request)


@require_POST
@desk_view
def routing_heartbeat(request: DeskRequest) -> HttpResponseBase:
    """The desk is open: keep the presence alive in every organization, and answer with the
    fresh panel."""
    for organization_id in _organization_ids(request):
        do_heartbeat(request.user, organization_id)
    if request.htmx:
        return _render_panel(request)
    return HttpResponse(status=204)


@require_POST
@desk_view
def routing_presence(request: DeskRequest) -> HttpResponseBase:
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return _render_panel(request, error=_("Choose a presence from the list."), status=400)
    organization_id = _organization_id(request)
    if organization_id is None:
        return _render_panel(request, error=_("You do not work in this organization."), status=400)
    try:
        presence = do_set_presence(request.user, organization_id, form.cleaned_data["state"])
    except RoutingError as error:
        return _render_panel(request, error=str(error), status=400)
    if not request.htmx:
        messages.success(
            request, _("Your presence: %(state)s.") % {"state": presence.get_state_display()}
        )
    return _done(request, reverse("desk:routing"))


def _case_or_panel(item: RoutingItem) -> str:
    if item.case is not None:
        return reverse("desk:case", kwargs={"reference": item.case.reference})
    return reverse("desk:routing")


@require_POST
@desk_view
def routing_accept(request: DeskRequest, item_id: int) -> HttpResponseBase:
    try:
        item = do_accept_offer(item_id, request.user)
    except ItemNotFound as error:
        return _render_panel(request, error=str(error), status=409)
    except RoutingError as error:
        return _render_panel(request, error=str(error), status=409)
    messages.success(request, _("The item is yours."))
    url = _case_or_panel(RoutingItem.objects.select_related("case").get(pk=item.pk))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_POST
@desk_view
def routing_decline(request: DeskRequest, item_id: int) -> HttpResponseBase:
    try:
        do_decline_offer(item_id, request.user)
    except RoutingError as error:
        return _render_panel(request, error=str(error), status=409)
    if not request.htmx:
        messages.info(request, _("Offer declined: it goes to another agent."))
    return _done(request, reverse("desk:routing"))


@require_POST
@desk_view
def routing_next(request: DeskRequest) -> HttpResponseBase:
    organization_id = _organization_id(request)
    if organization_id is None:
        return _render_panel(request, error=_("You do not work in this organization."), status=400)
    try:
        item = do_pull_next_item(request.user, organization_id)
    except RoutingError as error:
        return _render_panel(request, error=str(error), status=409)
    if item is None:
        if request.htmx:
            return _render_panel(request, error=_("Nothing is waiting for you right now."))
        messages.info(request, _("Nothing is waiting for you right now."))
        return redirect("desk:routing")
    messages.success(request, _("The next item is yours."))
    url = _case_or_panel(RoutingItem.objects.select_related("case").get(pk=item.pk))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
