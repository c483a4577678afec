"""The supervisor wallboard: queues, agents, breached deadlines and surges, updated live.

Supervisors and administrators of an organization only (others get the desk's 403 page); one
organization at a time (`?organisation=<id>` for someone supervising several). The board is
re-rendered server-side when a live event arrives (the `#wallboard-board` fragment) and every 30
seconds for the waiting times. Moving a case reuses the desk's actions (assign, transfer).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.cases.actions import (
    CaseAccessDenied,
    CaseActionError,
    access_case,
    do_assign_case,
    do_transfer_case,
)
from guichet.cases.models import Case
from guichet.live.events import SUPERVISION_KINDS
from guichet.organizations.models import Department, Organization, User
from guichet.ui.desk.access import DeskRequest, desk_view, render_desk, render_not_found
from guichet.ui.supervision.board import load_board, supervised_organizations
from guichet.ui.supervision.charts import waiting_chart
from guichet.ui.supervision.forms import MoveForm

BOARD_ID = "wallboard-board"


def _organization(request: DeskRequest, wanted: str | None) -> Organization | None:
    organizations = supervised_organizations(request.desk_memberships)
    if wanted and wanted.isdigit():
        return next((o for o in organizations if o.pk == int(wanted)), None)
    return organizations[0] if organizations else None


def _forbidden(request: DeskRequest) -> HttpResponse:
    return render_desk(request, "supervision/forbidden.html", status=403, section="supervision")


@require_GET
@desk_view
def wallboard(request: DeskRequest) -> HttpResponse:
    if not supervised_organizations(request.desk_memberships):
        return _forbidden(request)
    organization = _organization(request, request.GET.get("organisation"))
    if organization is None:
        return render_not_found(request)
    board = load_board(organization)
    agents = [row.membership.user for row in board.agents]
    move_forms = {
        case.pk: MoveForm(case=case, departments=board.departments, agents=agents)
        for case in board.breaches
    }
    context = {
        "board": board,
        "rows": [(case, move_forms[case.pk]) for case in board.breaches],
        "board_id": BOARD_ID,
        "chart": waiting_chart(board.queues),
        "live_board_events": " ".join(SUPERVISION_KINDS),
        "organizations": supervised_organizations(request.desk_memberships),
    }
    if request.htmx and request.htmx.target == BOARD_ID:
        return render_desk(request, "supervision/_board.html", context)
    return render_desk(request, "supervision/wallboard.html", context, section="supervision")


@require_POST
@desk_view
def move_case(request: DeskRequest, reference: str) -> HttpResponseBase:
    """Assign a case to an agent or transfer it to another department from the wallboard. The
    form carries the assignee and department the supervisor saw: if someone moved the case
    meanwhile, nothing is done and the supervisor is told."""
    if not supervised_organizations(request.desk_memberships):
        return _forbidden(request)
    try:
        case = access_case(request.user, reference)
    except CaseAccessDenied:
        return render_not_found(request)
    organization = _organization(request, str(case.organization_id))
    if organization is None:
        return _forbidden(request)
    departments = list(Department.objects.filter(organization=organization, is_active=True))
    agents = list(
        User.objects.filter(memberships__organization=organization, is_active=True).distinct()
    )
    form = MoveForm(request.POST, case=case, departments=departments, agents=agents)
    back = reverse("supervision:wallboard") + f"?organisation={organization.pk}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{case.reference}: {error}")
        return redirect(back)
    try:
        with transaction.atomic():
            current = Case.objects.select_for_update().get(pk=case.pk)
            if (current.department_id, current.assignee_id) != form.seen():
                raise CaseActionError(
                    _("Someone else moved this request meanwhile: look at it again.")
                )
            if form.cleaned_data["action"] == "assign":
                do_assign_case(current, form.cleaned_data["assignee"], actor=request.user)
                done = _("%(reference)s assigned.")
            else:
                do_transfer_case(
                    current,
                    form.cleaned_data["department"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
                done = _("%(reference)s transferred.")
    except (CaseActionError, CaseAccessDenied) as error:
        messages.error(request, f"{case.reference}: {error}")
        return redirect(back)
    messages.success(request, done % {"reference": case.reference})
    return redirect(back)
