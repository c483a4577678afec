"""The citizen page (360° view) and the audited merge of duplicate records.

Merging is for supervisors and administrators of the citizen's organization: the form is not shown
to agents, and a merge page opened or posted by an agent is refused (403) with nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guichet.citizens.actions import (
    CitizenAccessDenied,
    MergeNotAllowed,
    access_citizen,
    do_merge_citizens,
    record_citizen_view,
)
from guichet.citizens.models import Citizen
from guichet.citizens.queries import citizen_overview, merge_candidates, search_citizens
from guichet.core.scopes import access_scope
from guichet.ui.desk.access import DeskRequest, desk_view, render_desk, render_not_found
from guichet.ui.desk.forms import CitizenSearchForm, MergeForm
from guichet.ui.desk.presenters import display_contact


def _visible_citizen(request: DeskRequest, citizen_id: int) -> Citizen | None:
    try:
        return access_citizen(request.user, citizen_id)
    except CitizenAccessDenied:
        return None


def _may_merge(request: DeskRequest, citizen: Citizen) -> bool:
    return access_scope(request.user).sees_whole_organization(citizen.organization_id)


def _contacts(citizen: Citizen) -> list[tuple[str, str, str]]:
    return [
        (point.get_kind_display(), point.channel, display_contact(point.kind, point.value))
        for point in citizen.contact_points.all()
    ]


@require_GET
@desk_view
def citizen_detail(request: DeskRequest, citizen_id: int) -> HttpResponse:
    citizen = _visible_citizen(request, citizen_id)
    if citizen is None:
        return render_not_found(request)
    record_citizen_view(citizen, actor=request.user)
    overview = citizen_overview(request.user, citizen)
    may_merge = _may_merge(request, citizen) and citizen.merged_into_id is None
    search_form = CitizenSearchForm(request.GET if "q" in request.GET else None)
    results = (
        search_citizens(citizen, search_form.cleaned_data["q"])
        if may_merge and search_form.is_valid()
        else []
    )
    context = {
        "citizen": citizen,
        "overview": overview,
        "contacts": [
            (point.get_kind_display(), point.channel, display_contact(point.kind, point.value))
            for point in overview.contact_points
        ],
        "merged_into": citizen.merged_into if citizen.merged_into_id else None,
        "may_merge": may_merge,
        "search_form": search_form,
        "results": [(candidate, _contacts(candidate)) for candidate in results],
    }
    status = 400 if may_merge and search_form.is_bound and not search_form.is_valid() else 200
    return render_desk(request, "desk/citizen.html", context, status=status, section="citizen")


@require_http_methods(["GET", "POST"])
@desk_view
def citizen_merge(request: DeskRequest, citizen_id: int) -> HttpResponse:
    """Confirm and perform the merge of another record (`source`) into this one."""
    target = _visible_citizen(request, citizen_id)
    if target is None:
        return render_not_found(request)
    if not _may_merge(request, target):
        return render_desk(request, "desk/merge_forbidden.html", {"citizen": target}, status=403)
    candidates = merge_candidates(target).prefetch_related("contact_points")
    if request.method == "POST":
        form = MergeForm(request.POST, candidates=candidates)
        if form.is_valid():
            source = form.cleaned_data["source"]
            try:
                do_merge_citizens(
                    source, target, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except MergeNotAllowed:
                form.add_error(
                    None,
                    _(
                        "The records could not be merged: one of them changed meanwhile. Check them again."
                    ),
                )
            else:
                messages.success(
                    request, _("%(source)s was merged into this record.") % {"source": source}
                )
                return redirect("desk:citizen", citizen_id=target.pk)
    else:
        form = MergeForm(initial={"source": request.GET.get("source")}, candidates=candidates)
    chosen = _as_id(
        request.POST.get("source") if request.method == "POST" else request.GET.get("source")
    )
    source = candidates.filter(pk=chosen).first() if chosen is not None else None
    context = {
        "citizen": target,
        "source": source,
        "source_contacts": _contacts(source) if source else [],
        "target_contacts": _contacts(target),
        "source_case_count": source.cases.count() if source else 0,
        "form": form,
    }
    # Without a valid record to merge there is nothing to confirm: the page says so (400).
    status = 400 if form.is_bound or source is None else 200
    return render_desk(request, "desk/merge.html", context, status=status, section="citizen")


def _as_id(value: str | None) -> int | None:
    """A database id from user input, or None (never an overflowing number)."""
    if not value or not value.isdigit() or len(value) > 18:
        return None
    return int(value)
