"""The queue: the cases an agent may work on, filtered and sorted, with the desk's counters."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from guichet.cases.queries import queue_cases, queue_counters
from guichet.ui.desk.access import DeskRequest, desk_view, render_desk
from guichet.ui.desk.forms import QueueFilterForm

PAGE_SIZE = 50
RESULTS_ID = "queue-results"
COUNTERS_ID = "queue-counters"


@require_GET
@desk_view
def queue(request: DeskRequest) -> HttpResponse:
    organizations = {membership.organization_id for membership in request.desk_memberships}
    form = QueueFilterForm(
        request.GET, user=request.user, several_organizations=len(organizations) != 1
    )
    filters = form.filters()
    page = Paginator(queue_cases(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "counters": queue_counters(request.user),
        "query_without_page": query.urlencode(),
        "results_id": RESULTS_ID,
        "several_organizations": len(organizations) != 1,
    }
    # A filter the user may not use (another department, an unknown value) is refused clearly;
    # the valid filters still apply.
    # htmx only swaps successful answers: the partial carries the error summary itself.
    if request.htmx and request.htmx.target == RESULTS_ID:
        return render_desk(request, "desk/_queue_results.html", context)
    if request.htmx and request.htmx.target == COUNTERS_ID:  # a live refresh (guichet/live)
        return render_desk(request, "desk/_queue_counters.html", context)
    status = 400 if form.errors else 200
    return render_desk(request, "desk/queue.html", context, status=status, section="queue")
