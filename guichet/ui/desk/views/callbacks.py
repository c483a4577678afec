"""Callbacks on the desk: schedule one from a request, see the department's coming callbacks,
record each attempt's outcome (reached, no answer, wrong number, cancelled)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guichet.callbacks.actions import (
    CallbackError,
    access_callback,
    do_book_callback,
    do_record_outcome,
)
from guichet.callbacks.models import OPEN_STATUSES, BookedVia, Callback, Outcome
from guichet.callbacks.slots import free_slots
from guichet.cases.actions import CaseAccessDenied, access_case
from guichet.citizens.models import ContactKind, ContactPoint
from guichet.ui.callback_forms import CallbackForm
from guichet.ui.desk.access import DeskRequest, desk_view, render_desk, render_not_found

# Open callbacks listed on the callbacks page at most.
LIST_LIMIT = 200


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


def _callbacks_url(reference: str) -> str:
    return reverse("desk:case_callbacks", kwargs={"reference": reference})


@desk_view
@require_http_methods(["GET", "HEAD", "POST"])
def case_callbacks(request: DeskRequest, reference: str) -> HttpResponseBase:
    """The callbacks of one request, and the form to schedule a new one."""
    try:
        case = access_case(request.user, reference)
    except CaseAccessDenied:
        return render_not_found(request)
    department = case.department or case.organization.default_department
    form = None
    status = 200
    if department is not None and case.is_active:
        slots = free_slots(department)
        if request.method == "POST":
            form = CallbackForm(request.POST, department=department, slots=slots)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    do_book_callback(
                        case,
                        phone=data["phone"],
                        slot_start=data["slot"],
                        reason=data["reason"],
                        department=department,
                        via=BookedVia.DESK,
                        actor=request.user,
                    )
                except CallbackError as error:
                    form.add_error("slot", str(error))
                else:
                    messages.success(request, _("The callback is scheduled."))
                    return redirect(_callbacks_url(case.reference))
            status = 400
        else:
            phone = (
                ContactPoint.objects.filter(citizen_id=case.citizen_id, kind=ContactKind.PHONE)
                .order_by("-last_seen_at", "-pk")
                .values_list("value", flat=True)
                .first()
            )
            form = CallbackForm(department=department, slots=slots, initial={"phone": phone or ""})
    callbacks = list(
        Callback.objects.filter(case=case)
        .select_related("department")
        .order_by("-slot_start", "-pk")
    )
    return render_desk(
        request,
        "desk/callbacks_case.html",
        {
            "case": case,
            "department": department,
            "form": form,
            "callbacks": callbacks,
            "outcome_form": OutcomeForm(),
        },
        status=status,
        section="callbacks",
    )


@desk_view
@require_POST
def callback_outcome(request: DeskRequest, callback_id: int) -> HttpResponseBase:
    """Record what happened on a callback; back to where the agent came from."""
    try:
        callback = access_callback(request.user, callback_id)
    except CaseAccessDenied:
        return render_not_found(request)
    form = OutcomeForm(request.POST)
    target = (
        reverse("desk:callbacks")
        if request.POST.get("back") == "list"
        else _callbacks_url(callback.case.reference)
    )
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return redirect(target)
    try:
        do_record_outcome(
            callback,
            form.cleaned_data["outcome"],
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except CallbackError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The outcome is recorded."))
    return redirect(target)


@desk_view
@require_GET
def callback_list(request: DeskRequest) -> HttpResponse:
    """The coming and due callbacks of the agent's departments, the earliest first."""
    callbacks = list(
        Callback.objects.visible_to(request.user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("case", "department")
        .order_by("next_attempt_at", "pk")[:LIST_LIMIT]
    )
    return render_desk(
        request,
        "desk/callbacks_list.html",
        {"callbacks": callbacks, "outcome_form": OutcomeForm()},
        section="callbacks",
    )
