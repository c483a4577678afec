"""Background tasks of routing. Each takes ids and is idempotent: running one twice, or two
workers running it at once, assigns nothing twice (see guichet/routing/actions.py)."""

from __future__ import annotations

import logging

from django_tasks import task

from guichet.cases.models import Case
from guichet.core.batching import each_id
from guichet.routing import actions
from guichet.routing.models import AgentPresence, ItemState, PresenceState, RoutingItem

logger = logging.getLogger(__name__)


@task()
def dispatch_items_task(organization_id: int) -> int:
    """Offer (or assign) the organization's waiting items to its free agents."""
    return len(actions.dispatch(organization_id))


@task()
def enqueue_case_task(case_id: int) -> int | None:
    """A routed request gets its routing item (the inbound pipeline's hook)."""
    return _enqueue_case(case_id)


@task()
def enqueue_cases_task(case_ids: list[int]) -> list[int | None]:
    """`enqueue_case_task` for the new requests of one batch of the inbound pipeline, one after
    the other. A case that fails does not keep the others from their items: the error is logged
    and raised once all were tried (the safety net, `assign_waiting_items_task`, enqueues what
    is left)."""
    return each_id(case_ids, _enqueue_case, None, logger=logger, what="the routing item")


def _enqueue_case(case_id: int) -> int | None:
    case = (
        Case.objects.select_related("organization", "department", "topic")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return None
    item = actions.enqueue_case(case)
    return item.pk if item is not None else None


@task()
def expire_offers_task() -> int:
    """Offers not accepted in time go to the next agent."""
    return actions.expire_offers()


@task()
def time_out_presence_task() -> int:
    """Agents whose desk stopped answering go offline."""
    return actions.time_out_presence()


@task()
def assign_waiting_items_task() -> int:
    """The safety net: settle items whose request moved on, enqueue routed requests without an
    item, and dispatch every organization that has waiting items and agents present."""
    with_items = set(
        RoutingItem.objects.filter(state=ItemState.WAITING).values_list(
            "organization_id", flat=True
        )
    )
    with_agents = set(
        AgentPresence.objects.exclude(state=PresenceState.OFFLINE).values_list(
            "organization_id", flat=True
        )
    )
    with_cases = set(
        Case.objects.filter(assignee__isnull=True, status__in=["new", "open"]).values_list(
            "organization_id", flat=True
        )
    )
    claimed = 0
    for organization_id in sorted(with_items | with_agents | with_cases):
        actions.reconcile(organization_id)
        claimed += len(actions.dispatch(organization_id))
    return claimed
