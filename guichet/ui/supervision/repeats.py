"""The repeat-contacts report for supervisors: the share of contacts that repeat an earlier one
on the same request (`guichet.cases.repeats`, the KPI's definition), per department, and the
requests flagged now. Supervisors and administrators of the organization only, like the
wallboard."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from guichet.cases.models import Case
from guichet.cases.repeats import repeat_report, threshold
from guichet.organizations.models import Department
from guichet.ui.desk.access import DeskRequest, desk_view, render_desk, render_not_found
from guichet.ui.supervision.board import supervised_organizations

PERIOD_DAYS = 30
FLAGGED_SHOWN = 25


@require_GET
@desk_view
def repeat_contacts(request: DeskRequest) -> HttpResponse:
    organizations = supervised_organizations(request.desk_memberships)
    if not organizations:
        return render_desk(request, "supervision/forbidden.html", status=403, section="supervision")
    wanted = request.GET.get("organisation", "")
    organization = (
        next((o for o in organizations if str(o.pk) == wanted), None)
        if wanted
        else organizations[0]
    )
    if organization is None:
        return render_not_found(request)
    report = repeat_report(organization, period_days=PERIOD_DAYS)
    departments = Department.objects.filter(organization=organization)
    names: dict[int | None, str] = dict(departments.values_list("pk", "name"))
    shown = report.flagged_case_ids[:FLAGGED_SHOWN]
    cases = Case.objects.filter(organization=organization, pk__in=shown).select_related(
        "department"
    )
    by_id = {case.pk: case for case in cases}
    context = {
        "organization": organization,
        "organizations": organizations,
        "report": report,
        "departments": sorted(
            ((names.get(pk, "—"), contacts, rate) for pk, contacts, rate in report.by_department),
            key=lambda row: row[0],
        ),
        "flagged": [by_id[pk] for pk in shown if pk in by_id],
        "threshold": threshold(),
    }
    return render_desk(request, "supervision/repeats.html", context, section="supervision")
