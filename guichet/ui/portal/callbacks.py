"""The portal's callback pages: "call me back" from the organization's page (a new request is
opened through the inbound pipeline, like a form) and from a request's private tracking page.

The slots offered are the free ones of the department that calls back: the request's department,
or the organization's reception department for a new request (docs/callbacks.md).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from guichet.callbacks.actions import CallbackError, do_book_callback, do_record_outcome
from guichet.callbacks.models import BookedVia, Callback, Outcome
from guichet.callbacks.slots import free_slots
from guichet.cases.models import Case
from guichet.channels.portal.inbound import PortalRequest, build_request_message
from guichet.citizens.models import ContactKind, ContactPoint
from guichet.organizations.models import Department, Organization
from guichet.ui.callback_forms import CallbackForm
from guichet.ui.portal.forms import NonceField, new_nonce
from guichet.ui.portal.views import (
    _brand,
    _case_for,
    _not_found,
    _organization,
    _receive_submission,
    _received_redirect,
    _tracking_redirect,
    private_page,
)


class NewCallbackForm(CallbackForm):
    nonce = NonceField()
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    field_order = ["nonce", "name", "phone", "slot", "reason"]


def _booked_message(callback: Callback) -> str:
    start = timezone.localtime(callback.slot_start)
    return _("Your callback is booked: we will call %(phone)s on %(day)s at %(time)s.") % {
        "phone": callback.phone,
        "day": formats.date_format(start, "l j F Y"),
        "time": formats.time_format(start, "H:i"),
    }


def _render(request: HttpRequest, organization: Organization, **context: Any) -> HttpResponse:
    return render(
        request,
        "portal/callback_form.html",
        {"organization": organization, **context},
        status=400 if context.get("form") is not None and context["form"].errors else 200,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def callback_request(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Book a callback without a request yet: a request "Callback request" is opened for it."""
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None)
    _brand(request, organization)
    department = organization.default_department
    if department is None:
        return _render(request, organization, form=None, unavailable=True)
    slots = free_slots(department)
    if request.method == "POST":
        form = NewCallbackForm(request.POST, department=department, slots=slots)
        if form.is_valid():
            data = form.cleaned_data
            inbound = build_request_message(
                PortalRequest(
                    subject=_("Callback request"),
                    text=data["reason"] or _("Please call me back."),
                    name=data["name"],
                    phone=data["phone"],
                ),
                nonce=data["nonce"],
            )
            reception = _receive_submission(organization, inbound)
            case = reception.case
            if case is None:
                return _received_redirect(organization, reception)
            return _book(request, case, department, data)
    else:
        form = NewCallbackForm(department=department, slots=slots, initial={"nonce": new_nonce()})
    return _render(
        request, organization, form=form, slots=slots, department=department, new_request=True
    )


def _book(
    request: HttpRequest, case: Case, department: Department, data: dict[str, Any]
) -> HttpResponse:
    existing = Callback.objects.open().filter(case=case, slot_start=data["slot"]).first()
    if existing is not None:  # the same form sent twice
        messages.success(request, _booked_message(existing))
        return _tracking_redirect(case)
    try:
        callback = do_book_callback(
            case,
            phone=data["phone"],
            slot_start=data["slot"],
            reason=data["reason"],
            department=department,
            via=BookedVia.PORTAL,
        )
    except CallbackError as error:
        messages.error(request, str(error))
        return _tracking_redirect(case)
    messages.success(request, _booked_message(callback))
    return _tracking_redirect(case)


def _citizen_phone(case: Case) -> str:
    return (
        ContactPoint.objects.filter(citizen_id=case.citizen_id, kind=ContactKind.PHONE)
        .order_by("-last_seen_at", "-pk")
        .values_list("value", flat=True)
        .first()
        or ""
    )


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def callback_for_case(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    """Book (or cancel) a callback about a request, from its tracking page."""
    organization = _organization(org_slug)
    case = _case_for(organization, token)
    if organization is None or case is None:
        return _not_found(request, organization, invalid_link=True)
    _brand(request, organization)
    booked = list(Callback.objects.open().filter(case=case).order_by("slot_start"))
    department = case.department or organization.default_department
    if not case.is_active or department is None:
        return _render(request, organization, case=case, form=None, booked=booked, closed=True)
    if request.method == "POST" and "cancel" in request.POST:
        return _cancel(request, case, booked, request.POST.get("cancel", ""))
    slots = free_slots(department)
    if request.method == "POST":
        form = CallbackForm(request.POST, department=department, slots=slots)
        if form.is_valid():
            return _book(request, case, department, form.cleaned_data)
    else:
        form = CallbackForm(
            department=department, slots=slots, initial={"phone": _citizen_phone(case)}
        )
    return _render(
        request,
        organization,
        case=case,
        form=form,
        booked=booked,
        slots=slots,
        department=department,
    )


def _cancel(request: HttpRequest, case: Case, booked: list[Callback], value: str) -> HttpResponse:
    callback = next((c for c in booked if str(c.pk) == value), None)
    if callback is None:
        messages.error(request, _("This callback cannot be cancelled any more."))
        return _tracking_redirect(case)
    try:
        do_record_outcome(callback, Outcome.CANCELLED, note=_("cancelled by the citizen"))
    except CallbackError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your callback is cancelled."))
    return _tracking_redirect(case)
