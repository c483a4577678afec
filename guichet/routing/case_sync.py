"""Keep a request's routing item in step with the request, the moment the request changes.

The case actions (guichet/cases/actions.py) and the SLA escalation call `sync_case_on_commit` after
they change a request's status, assignee, department or priority; once their transaction commits,
`sync_case_item` settles the request's open item through the routing actions:

- resolved, closed or waiting for the citizen: the item is finished (cancelled if nobody had it
  yet), the agent's slot frees at once and the next waiting item is dispatched;
- transferred to another department: the item is cancelled and a new one waits in the new
  department's queue;
- assigned by hand: the item follows the request to its new agent (counted in their capacity);
  unassigned by hand: the item goes back in line;
- priority or due date changed (by hand or by escalation): the item's serving order follows;
- active again with its agent (reopened or resumed by the citizen's message while assigned): a
  new item, already the agent's, so the request counts in their load again.

Routing imports the case actions, so the case actions reach this module through a local import.
The periodic sweep (`actions.reconcile`) stays as the safety net for anything missed here.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.cases.lifecycle import Status
from guichet.cases.models import Case
from guichet.routing import actions
from guichet.routing.models import OPEN_STATES, AgentPresence, ItemKind, ItemState, RoutingItem

logger = logging.getLogger(__name__)

# Statuses in which a request takes no agent's capacity.
SETTLED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.WAITING)


def sync_case_on_commit(case: Case, *, actor: Any = None) -> None:
    """Once the current transaction commits, bring the request's routing item in step."""
    case_id = case.pk
    actor_id = getattr(actor, "pk", None)

    def sync() -> None:
        try:
            sync_case_item(case_id, actor_id=actor_id)
        except Exception:  # the sweep settles it later; the request's change stands
            logger.exception("routing item of case %s not synchronised", case_id)

    transaction.on_commit(sync)


def sync_case_item(case_id: int, *, actor_id: int | None = None) -> str:
    """Settle the request's open routing item; returns what was done ("finished", "cancelled",
    "rerouted", "handed_over", "requeued", "reprioritised", "enqueued" or "" for nothing)."""
    from guichet.organizations.models import User

    case = Case.objects.select_related("organization", "department", "topic").get(pk=case_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    with transaction.atomic():
        item = (
            RoutingItem.objects.select_for_update()
            .filter(case_id=case_id, kind=ItemKind.CASE, state__in=OPEN_STATES)
            .first()
        )
        if item is None:
            if case.assignee_id is not None and case.status in actions.ROUTABLE_STATUSES:
                # Active again (reopened, resumed) with its agent: the item goes straight to them.
                _hand_over(actions.case_item(case), case, actor=actor, action="resumed")
                return "resumed"
            return "enqueued" if actions.enqueue_case(case) is not None else ""
        if case.status in SETTLED_STATUSES:
            reason = _("the request is now “%(status)s”") % {"status": case.get_status_display()}
            if item.state == ItemState.ASSIGNED:
                actions.do_finish_item(item, reason=reason)
                return "finished"
            actions.do_cancel_item(item, reason=reason)
            return "cancelled"
        if item.department_id != case.department_id:
            department = case.department.name if case.department else "—"
            reason = _("the request was transferred to %(department)s") % {"department": department}
            actions.do_cancel_item(item, reason=reason)
            actions.enqueue_case(case)
            return "rerouted"
        if case.assignee_id is None:
            if item.state != ItemState.ASSIGNED:  # waiting, or offered to an agent
                return _reprioritise(item, case)
            previous = actions._back_in_line(item, declined=False)
            actions._record(item, "requeued", agent_id=previous, actor=actor)
            _free_slot(item, previous)
            actions.dispatch_on_commit(item.organization_id)
            return "requeued"
        if item.state != ItemState.ASSIGNED or item.agent_id != case.assignee_id:
            _hand_over(item, case, actor=actor)
            return "handed_over"
        return _reprioritise(item, case)


def _hand_over(
    item: RoutingItem, case: Case, *, actor: Any, action: str = "assigned_by_hand"
) -> None:
    """The request was assigned by hand (or is active again with its agent, `action`
    "resumed"): its item goes with it to the agent, counted in their capacity."""
    previous = item.agent_id
    AgentPresence.objects.select_for_update().filter(
        organization_id=item.organization_id, agent_id=case.assignee_id
    ).first()
    now = timezone.now()
    item.agent_id = case.assignee_id
    item.state = ItemState.ASSIGNED
    item.assigned_at = now
    item.offer_expires_at = None
    item.priority = case.priority
    item.due_at = case.due_at
    item.version += 1
    item.save()
    assignee = case.assignee
    actions._record(
        item,
        action,
        agent_id=case.assignee_id,
        agent_name=str(assignee or ""),
        actor=actor,
        previous=previous,
    )
    _free_slot(item, previous)
    actions.dispatch_on_commit(item.organization_id)


def _free_slot(item: RoutingItem, agent_id: int | None) -> None:
    if agent_id is not None and agent_id != item.agent_id:
        AgentPresence.objects.filter(
            organization_id=item.organization_id, agent_id=agent_id
        ).update(last_assignment_end=timezone.now())


def _reprioritise(item: RoutingItem, case: Case) -> str:
    if (item.priority, item.due_at) == (case.priority, case.due_at):
        return ""
    RoutingItem.objects.filter(pk=item.pk).update(priority=case.priority, due_at=case.due_at)
    actions.dispatch_on_commit(item.organization_id)
    return "reprioritised"
