"""Overflow to another department: "after N minutes, agents of department X may take it".

A queue may name an overflow department and a delay (`Queue.overflow_department`,
`Queue.overflow_after_minutes`). The engine (`guichet.routing.assignment`) then lets agents of
that department match the queue's items once they have waited that long, after the department's
own agents and with the reason on the timeline. When such an agent takes the item (assigned
directly, or an offer accepted), the request is first transferred to their department, with the
reason, so that they may see and handle it like any request of theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from guichet.cases.actions import do_transfer_case
from guichet.cases.models import Case
from guichet.organizations.models import Department, Membership
from guichet.routing.models import Queue, RoutingItem

if TYPE_CHECKING:
    from guichet.organizations.models import User


def overflow_department(item: RoutingItem, case: Case, agent: User) -> Department | None:
    """The overflow department through which `agent` takes `item`, or None when the agent works
    in the request's department (or the queue has no overflow to one of theirs)."""
    if item.queue_id is None:
        return None
    queue = (
        Queue.objects.filter(pk=item.queue_id, overflow_department__isnull=False)
        .select_related("overflow_department")
        .first()
    )
    if queue is None or queue.overflow_department is None:
        return None
    membership = (
        Membership.objects.filter(user=agent, organization_id=item.organization_id)
        .prefetch_related("departments")
        .first()
    )
    if membership is None or membership.sees_whole_organization:
        return None
    departments = {department.pk for department in membership.departments.all()}
    if case.department_id in departments or queue.overflow_department_id not in departments:
        return None
    return queue.overflow_department


def transfer_for_overflow(item: RoutingItem, case: Case, department: Department) -> None:
    """The request moves to the overflow department (its item with it) before the agent of that
    department gets it."""
    from guichet.routing.actions import _queue_for

    previous = case.department
    do_transfer_case(
        case,
        department,
        actor=None,
        reason=_("overflow: waited longer than the delay of the queue of %(department)s")
        % {"department": previous.name if previous else "—"},
    )
    item.department = department
    item.queue = _queue_for(department, item.channel)
    item.save(update_fields=["department", "queue"])
