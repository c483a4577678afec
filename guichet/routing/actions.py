"""Writes on routing: enqueue work, offer it, assign it, finish it; presence and heartbeats.

Correct under concurrency (docs/adr/0007-routing-concurrency.md): the engine decides on a
snapshot without locks; each decision is then *claimed* in its own short transaction that locks
the item (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL: a row another process is claiming is
skipped, never waited for), then the agent's presence row (their routing lock row), and checks
again, under those locks, that the item still waits and that the agent still has a free slot on
the item's channel. Locks are always taken in that order (item, then agent). On SQLite every
transaction is IMMEDIATE: writers are serialised, and the same checks run alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.cases.actions import CaseAccessDenied, CaseActionError, append_event, do_assign_case
from guichet.cases.lifecycle import Status
from guichet.cases.models import Case, EventKind, Priority
from guichet.core.scopes import access_scope
from guichet.routing.assignment import Decision, assign_waiting, next_item_for
from guichet.routing.context import LoadedContext, load_context, settings_for
from guichet.routing.models import (
    LOAD_STATES,
    OPEN_STATES,
    AgentCapacity,
    AgentPresence,
    ItemKind,
    ItemState,
    PresenceState,
    PushMode,
    Queue,
    RoutingItem,
    work_channel,
)
from guichet.routing.overflow import overflow_department, transfer_for_overflow

if TYPE_CHECKING:
    from guichet.organizations.models import Department, Organization, User

logger = logging.getLogger(__name__)

# Timeline entries written by routing: a "reception step" (EventKind.PIPELINE) without a message,
# whose data["step"] is this and data["action"] says what happened.
ROUTING_STEP = "routing"
# How many times pull mode tries another item when the chosen one was taken meanwhile.
PULL_ATTEMPTS = 3
# Cases the safety-net sweep enqueues at most per run.
SWEEP_BATCH = 200


class RoutingError(ValueError):
    """A routing request that cannot be honoured; the message is shown to the user."""


class ItemNotFound(RoutingError):
    """No such item for this user (unknown, of another organization, or not theirs)."""


class StaleItem(RoutingError):
    """The item changed since the user saw it (another supervisor moved it)."""


# --- enqueueing ----------------------------------------------------------------------------------


def _skill_minimums(skills: Iterable[str] | Mapping[str, int]) -> dict[str, int]:
    if isinstance(skills, Mapping):
        return {str(name): int(minimum) for name, minimum in skills.items()}
    return {str(name): 0 for name in skills}


def _queue_for(department: Department | None, channel: str) -> Queue | None:
    if department is None:
        return None
    queues = {
        q.channel: q
        for q in Queue.objects.filter(
            department=department, is_active=True, channel__in=[channel, ""]
        )
    }
    return queues.get(channel) or queues.get("")


def _preferred_agent(case: Case) -> int | None:
    """Who handled the citizen's last other request (the engine offers it to them first)."""
    return (
        Case.objects.filter(citizen_id=case.citizen_id, assignee__isnull=False)
        .exclude(pk=case.pk)
        .order_by("-created_at", "-pk")
        .values_list("assignee_id", flat=True)
        .first()
    )


def do_enqueue_item(
    *,
    organization: Organization,
    department: Department | None,
    kind: str,
    channel: str,
    case: Case | None = None,
    callback_id: int | None = None,
    skills: Iterable[str] | Mapping[str, int] = (),
    priority: int = Priority.NORMAL,
    due_at: datetime | None = None,
) -> RoutingItem:
    """Put a request or a callback in line for an agent. Idempotent: a case or callback that
    already has an open item gets that item back. Dispatching follows on commit.

    `skills`: extra required skills, by name ("channel:phone") or name -> minimum proficiency."""
    if kind not in ItemKind.values:
        raise RoutingError(_("Unknown kind of routing item."))
    if kind == ItemKind.CASE and (case is None or callback_id is not None):
        raise RoutingError(_("A request item needs its request."))
    if kind == ItemKind.CALLBACK and callback_id is None:
        raise RoutingError(_("A callback item needs its callback."))
    if department is not None and department.organization_id != organization.pk:
        raise RoutingError(_("Choose a department of this organization."))
    if case is not None and case.organization_id != organization.pk:
        raise RoutingError(_("This request belongs to another organization."))
    if priority not in Priority.values:
        raise RoutingError(_("Unknown priority."))
    existing = _open_item(organization.pk, case, callback_id)
    if existing is not None:
        return existing
    channel = work_channel(channel)
    item = RoutingItem(
        organization=organization,
        department=department,
        queue=_queue_for(department, channel),
        kind=kind,
        case=case,
        callback_id=callback_id,
        channel=channel,
        topic=case.topic.slug if case is not None and case.topic is not None else "",
        skills=_skill_minimums(skills),
        priority=priority,
        due_at=due_at,
        preferred_agent_id=_preferred_agent(case) if case is not None else None,
    )
    try:
        with transaction.atomic():
            item.save(force_insert=True)
    except IntegrityError:
        # Another process enqueued the same case or callback at the same moment.
        existing = _open_item(organization.pk, case, callback_id)
        if existing is None:
            raise
        return existing
    dispatch_on_commit(organization.pk)
    return item


def _open_item(
    organization_id: int, case: Case | None, callback_id: int | None
) -> RoutingItem | None:
    items = RoutingItem.objects.filter(organization_id=organization_id).open()
    if case is not None:
        return items.filter(case=case).first()
    return items.filter(kind=ItemKind.CALLBACK, callback_id=callback_id).first()


# The statuses in which a request is someone's work (a routing item waits or is assigned).
ROUTABLE_STATUSES = (Status.NEW, Status.OPEN)


def enqueue_case(case: Case) -> RoutingItem | None:
    """The routing item of a routed, active, unassigned request (None for the others)."""
    if case.status not in ROUTABLE_STATUSES or case.assignee_id is not None:
        return None
    return case_item(case)


def case_item(case: Case) -> RoutingItem:
    """The request's open routing item, made (waiting in its department's queue) if it has none,
    whatever its status or assignee: `enqueue_case` checks those."""
    return do_enqueue_item(
        organization=case.organization,
        department=case.department,
        kind=ItemKind.CASE,
        channel=case.channel,
        case=case,
        priority=case.priority,
        due_at=case.due_at,
    )


def dispatch_on_commit(organization_id: int) -> None:
    def dispatch_later() -> None:
        from guichet.routing.tasks import dispatch_items_task

        dispatch_items_task.enqueue(organization_id)

    transaction.on_commit(dispatch_later)


# --- the timeline and live events ----------------------------------------------------------------


def _record(
    item: RoutingItem,
    action: str,
    *,
    agent_id: int | None = None,
    agent_name: str = "",
    actor: Any = None,
    decision: Decision | None = None,
    **extra: Any,
) -> None:
    """The routing decision on the case timeline, with its reasons ("why did this go to X?")."""
    if item.case_id is None:
        return
    data: dict[str, Any] = {
        "step": ROUTING_STEP,
        "action": action,
        "item": item.pk,
        "agent": agent_id,
        "agent_name": agent_name,
    }
    if decision is not None:
        data["rule"] = decision.rule
        data["reasons"] = list(decision.reasons)
    data.update(extra)
    case = Case(pk=item.case_id, organization_id=item.organization_id)
    append_event(case, EventKind.PIPELINE, actor=actor, actor_label=_("Routing"), data=data)


def _publish_offer(item: RoutingItem, agent_id: int) -> None:
    from guichet.live.events import ItemOffered
    from guichet.live.publish import publish_on_commit

    organization_id, case_id, item_id = item.organization_id, item.case_id, item.pk
    publish_on_commit(lambda: ItemOffered(organization_id, agent_id, case_id, item_id))


def _publish_presence(organization_id: int, agent_id: int) -> None:
    from guichet.live.events import PresenceChanged
    from guichet.live.publish import publish_on_commit

    publish_on_commit(lambda: PresenceChanged(organization_id, agent_id))


# --- claiming: the only place an item gets an agent -----------------------------------------------


def _lock_agent_with_room(
    item: RoutingItem, agent_id: int, context: LoadedContext, states: tuple[str, ...]
) -> bool:
    """Lock the agent's presence row and tell whether they may take `item` now: present in one
    of `states`, seen recently, and with a free slot on the item's channel."""
    presence = (
        AgentPresence.objects.select_for_update()
        .filter(organization_id=item.organization_id, agent_id=agent_id)
        .first()
    )
    if presence is None or presence.state not in states:
        return False
    if presence.last_seen_at < context.now - context.presence_timeout:
        return False
    return _has_room(item, agent_id, context.default_capacity)


def _has_room(item: RoutingItem, agent_id: int, defaults: Mapping[str, int]) -> bool:
    capacity = (
        AgentCapacity.objects.filter(
            organization_id=item.organization_id, agent_id=agent_id, channel=item.channel
        )
        .values_list("capacity", flat=True)
        .first()
    )
    if capacity is None:
        capacity = defaults.get(item.channel, 0)
    load = RoutingItem.objects.filter(
        organization_id=item.organization_id,
        agent_id=agent_id,
        channel=item.channel,
        state__in=LOAD_STATES,
    ).count()
    return load < capacity


def _claim(
    decision: Decision,
    context: LoadedContext,
    *,
    state: str,
    mode: str,
    states: tuple[str, ...],
) -> RoutingItem | None:
    """Give the decided item to the decided agent, if both are still free: None otherwise (the
    item was taken by another process, or the agent filled up meanwhile)."""
    from guichet.organizations.models import User

    now = context.now
    try:
        with transaction.atomic():
            item = (
                RoutingItem.objects.select_for_update(skip_locked=True)
                .filter(pk=decision.item_id, state=ItemState.WAITING)
                .first()
            )
            if item is None:
                return None
            if not _lock_agent_with_room(item, decision.agent_id, context, states):
                return None
            agent = User.objects.get(pk=decision.agent_id)
            item.agent = agent
            item.state = state
            item.version += 1
            if state == ItemState.OFFERED:
                item.attempts += 1
                item.offer_expires_at = now + context.offer_timeout
            else:
                item.assigned_at = now
                item.offer_expires_at = None
            item.save()
            _record(
                item,
                "offered" if state == ItemState.OFFERED else "assigned",
                agent_id=agent.pk,
                agent_name=str(agent),
                decision=decision,
                mode=mode,
            )
            if state == ItemState.ASSIGNED:
                _assign_case(item, agent, actor=agent)
            else:
                _publish_offer(item, agent.pk)
            return item
    except (CaseAccessDenied, CaseActionError) as error:
        # The case changed under us (assigned by hand, moved): the next sweep settles the item.
        logger.info("routing item %s not claimed: %s", decision.item_id, error)
        return None


def _assign_case(item: RoutingItem, agent: User | None, *, actor: Any) -> None:
    if item.case_id is None:
        return
    case = Case.objects.select_related("assignee", "organization", "department").get(
        pk=item.case_id
    )
    overflow = overflow_department(item, case, agent) if agent is not None else None
    if overflow is not None:
        transfer_for_overflow(item, case, overflow)
    if case.assignee_id != (agent.pk if agent else None):
        do_assign_case(case, agent, actor=actor)


# --- push mode -------------------------------------------------------------------------------------


def dispatch(organization_id: int, *, now: datetime | None = None) -> list[RoutingItem]:
    """Push mode: match the waiting items to the free agents (highest priority first, nobody over
    capacity) and offer (or assign) each one. Returns the items claimed by this call."""
    context = load_context(organization_id, now or timezone.now())
    if context.push_mode == PushMode.PULL_ONLY or not context.items or not context.agents:
        return []
    state = ItemState.OFFERED if context.push_mode == PushMode.OFFER else ItemState.ASSIGNED
    claimed = []
    for decision in assign_waiting(context.items, context.agents, context.policy, context.now):
        item = _claim(
            decision, context, state=state, mode="push", states=(PresenceState.AVAILABLE,)
        )
        if item is not None:
            claimed.append(item)
    return claimed


def _my_offer(item_id: int, agent: User) -> RoutingItem:
    item = (
        RoutingItem.objects.select_for_update()
        .filter(pk=item_id, agent=agent, state=ItemState.OFFERED)
        .first()
    )
    if item is None:
        raise ItemNotFound(_("This offer is no longer yours: it expired or was taken."))
    return item


def _back_in_line(item: RoutingItem, *, declined: bool) -> int | None:
    """An offered or assigned item waits again; returns the agent it leaves."""
    agent_id = item.agent_id
    if declined and agent_id is not None:
        item.declined_by = sorted({*(item.declined_by or []), agent_id})
        item.last_declined_at = timezone.now()
    item.state = ItemState.WAITING
    item.agent = None
    item.offer_expires_at = None
    item.assigned_at = None
    item.version += 1
    item.save()
    return agent_id


def do_accept_offer(item_id: int, agent: User) -> RoutingItem:
    """The agent takes the item offered to them: it is assigned, and so is its request."""
    expired = False
    with transaction.atomic():
        item = _my_offer(item_id, agent)
        now = timezone.now()
        if item.offer_expires_at is not None and item.offer_expires_at <= now:
            _back_in_line(item, declined=True)
            _record(item, "offer_expired", agent_id=agent.pk, agent_name=str(agent))
            dispatch_on_commit(item.organization_id)
            expired = True
        else:
            item.state = ItemState.ASSIGNED
            item.assigned_at = now
            item.offer_expires_at = None
            item.version += 1
            item.save()
            _record(item, "accepted", agent_id=agent.pk, agent_name=str(agent), actor=agent)
            _assign_case(item, agent, actor=agent)
    if expired:
        raise RoutingError(_("This offer expired: it went back to the queue."))
    return item


def do_decline_offer(item_id: int, agent: User) -> RoutingItem:
    """The agent passes: the item waits again and goes to the next agent (not back to them)."""
    with transaction.atomic():
        item = _my_offer(item_id, agent)
        _back_in_line(item, declined=True)
        _record(item, "declined", agent_id=agent.pk, agent_name=str(agent), actor=agent)
        dispatch_on_commit(item.organization_id)
    return item


def expire_offers(now: datetime | None = None) -> int:
    """Offers not accepted in time go back in line (and then to the next agent)."""
    now = now or timezone.now()
    due = list(
        RoutingItem.objects.filter(state=ItemState.OFFERED, offer_expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    organizations: set[int] = set()
    expired = 0
    for item_id in due:
        with transaction.atomic():
            item = (
                RoutingItem.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("agent")
                .filter(pk=item_id, state=ItemState.OFFERED, offer_expires_at__lte=now)
                .first()
            )
            if item is None:
                continue
            agent = item.agent
            _back_in_line(item, declined=True)
            _record(
                item,
                "offer_expired",
                agent_id=agent.pk if agent else None,
                agent_name=str(agent or ""),
            )
            organizations.add(item.organization_id)
            expired += 1
    for organization_id in sorted(organizations):
        dispatch(organization_id)
    return expired


# --- pull mode -------------------------------------------------------------------------------------


def do_pull_next_item(agent: User, organization_id: int) -> RoutingItem | None:
    """Pull mode: the next best item for this agent, assigned to them at once (None: nothing
    waits that they may take)."""
    presence = AgentPresence.objects.filter(organization_id=organization_id, agent=agent).first()
    if presence is None or presence.state not in (PresenceState.AVAILABLE, PresenceState.BUSY):
        raise RoutingError(_("Set yourself available or busy to take the next item."))
    do_heartbeat(agent, organization_id)
    tried: set[int] = set()
    for _attempt in range(PULL_ATTEMPTS):
        context = load_context(organization_id, timezone.now(), agent_ids=[agent.pk])
        me = context.agent(agent.pk)
        if me is None:
            return None
        if not me.has_free_slot():
            raise RoutingError(_("You are at full capacity: finish an item first."))
        items = [item for item in context.items if item.id not in tried]
        decision = next_item_for(me, items, context.policy, context.now)
        if decision is None:
            return None
        item = _claim(
            decision,
            context,
            state=ItemState.ASSIGNED,
            mode="pull",
            states=(PresenceState.AVAILABLE, PresenceState.BUSY),
        )
        if item is not None:
            return item
        tried.add(decision.item_id)
    return None


# --- finishing -----------------------------------------------------------------------------------


def _check_may_handle(actor: Any, item: RoutingItem) -> None:
    if actor is None:
        return
    scope = access_scope(actor)
    if item.agent_id is not None and item.agent_id == scope.user_id:
        return
    if scope.sees_whole_organization(item.organization_id):
        return
    raise ItemNotFound(_("No such routing item."))


def _close(item: RoutingItem, state: str, *, actor: Any, reason: str) -> RoutingItem:
    with transaction.atomic():
        locked = RoutingItem.objects.select_for_update().get(pk=item.pk)
        _check_may_handle(actor, locked)
        if not locked.is_open:
            return locked
        now = timezone.now()
        agent_id = locked.agent_id
        locked.state = state
        locked.finished_at = now
        locked.offer_expires_at = None
        locked.version += 1
        locked.save()
        if agent_id is not None:
            AgentPresence.objects.filter(
                organization_id=locked.organization_id, agent_id=agent_id
            ).update(last_assignment_end=now)
        _record(
            locked,
            "finished" if state == ItemState.DONE else "cancelled",
            agent_id=agent_id,
            actor=actor,
            reason=reason,
        )
        dispatch_on_commit(locked.organization_id)
    return locked


def do_finish_item(item: RoutingItem, *, actor: Any = None, reason: str = "") -> RoutingItem:
    """The work is done: the agent's slot frees up and the next item flows. Idempotent."""
    return _close(item, ItemState.DONE, actor=actor, reason=reason)


def do_cancel_item(item: RoutingItem, *, actor: Any = None, reason: str = "") -> RoutingItem:
    """The work is no longer needed (callback cancelled, request closed). Idempotent."""
    return _close(item, ItemState.CANCELLED, actor=actor, reason=reason)


# --- supervisors -----------------------------------------------------------------------------------


def access_item(user: Any, item_id: int) -> RoutingItem:
    """An item of an organization the user supervises (otherwise `ItemNotFound`)."""
    scope = access_scope(user)
    item = RoutingItem.objects.filter(pk=item_id).select_related("agent", "case").first()
    if item is None or not scope.sees_whole_organization(item.organization_id):
        raise ItemNotFound(_("No such routing item."))
    return item


def do_move_item(
    item_id: int, *, actor: User, version: int, to_agent: User | None = None
) -> RoutingItem:
    """A supervisor gives the item to an agent (within their capacity), or puts it back in line
    (`to_agent=None`). `version` is the one the supervisor saw: if someone moved the item since,
    the move is refused with a message instead of overwriting theirs."""
    with transaction.atomic():
        item = RoutingItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None or not access_scope(actor).sees_whole_organization(item.organization_id):
            raise ItemNotFound(_("No such routing item."))
        if item.version != version:
            raise StaleItem(
                _(
                    "Someone else changed this item meanwhile (it is now “%(state)s”). "
                    "Reload the page and try again."
                )
                % {"state": item.get_state_display()}
            )
        if not item.is_open:
            raise RoutingError(_("This item is finished: it can no longer be moved."))
        previous = item.agent_id
        if to_agent is None:
            if item.state == ItemState.WAITING:
                raise RoutingError(_("This item is already waiting in the queue."))
            _back_in_line(item, declined=False)
            _record(item, "requeued", agent_id=previous, actor=actor)
            _assign_case(item, None, actor=actor)
        else:
            _move_to(item, to_agent, actor=actor)
        dispatch_on_commit(item.organization_id)
    return item


def _move_to(item: RoutingItem, agent: User, *, actor: User) -> None:
    if item.agent_id == agent.pk and item.state == ItemState.ASSIGNED:
        raise RoutingError(_("This item is already assigned to %(name)s.") % {"name": agent})
    presence, _created = AgentPresence.objects.get_or_create(
        organization_id=item.organization_id, agent=agent
    )
    AgentPresence.objects.select_for_update().filter(pk=presence.pk).first()
    if item.agent_id != agent.pk and not _has_room(
        item, agent.pk, settings_for(item.organization_id).default_capacity()
    ):
        raise RoutingError(_("%(name)s has no free capacity for this channel.") % {"name": agent})
    previous = item.agent_id
    item.agent = agent
    item.state = ItemState.ASSIGNED
    item.assigned_at = timezone.now()
    item.offer_expires_at = None
    item.version += 1
    item.save()
    _record(item, "moved", agent_id=agent.pk, agent_name=str(agent), actor=actor, previous=previous)
    try:
        _assign_case(item, agent, actor=actor)
    except (CaseAccessDenied, CaseActionError) as error:
        raise RoutingError(str(error) or _("This agent cannot take this request.")) from None


# --- presence --------------------------------------------------------------------------------------


def _release_offers(organization_id: int, agent_id: int) -> int:
    """The agent's pending offers go back in line (they are leaving: no decline is recorded)."""
    released = 0
    for item in RoutingItem.objects.select_for_update().filter(
        organization_id=organization_id, agent_id=agent_id, state=ItemState.OFFERED
    ):
        _back_in_line(item, declined=False)
        _record(item, "offer_withdrawn", agent_id=agent_id)
        released += 1
    return released


def do_set_presence(agent: User, organization_id: int, state: str) -> AgentPresence:
    """The agent says they are available, busy, on a break or offline. Leaving withdraws their
    pending offers; becoming available lets waiting items flow to them."""
    if state not in PresenceState.values:
        raise RoutingError(_("Unknown presence state."))
    if organization_id not in access_scope(agent).member_organization_ids:
        raise RoutingError(_("You do not work in this organization."))
    now = timezone.now()
    with transaction.atomic():
        if state != PresenceState.AVAILABLE:
            # Items first, then the agent's row: the order every claim uses.
            _release_offers(organization_id, agent.pk)
        presence, _created = AgentPresence.objects.get_or_create(
            organization_id=organization_id, agent=agent
        )
        presence = AgentPresence.objects.select_for_update().get(pk=presence.pk)
        changed = presence.state != state
        presence.last_seen_at = now
        if changed:
            presence.state = state
            presence.state_since = now
        presence.save()
        if changed:
            _publish_presence(organization_id, agent.pk)
        dispatch_on_commit(organization_id)
    return presence


def do_heartbeat(agent: User, organization_id: int) -> AgentPresence | None:
    """The desk is still open: keep the agent's presence alive (one UPDATE). An agent timed out
    to offline stays offline until they choose a state again."""
    now = timezone.now()
    AgentPresence.objects.filter(organization_id=organization_id, agent=agent).update(
        last_seen_at=now
    )
    return AgentPresence.objects.filter(organization_id=organization_id, agent=agent).first()


def time_out_presence(now: datetime | None = None) -> int:
    """Agents whose desk stopped answering (browser closed, network lost) go offline; their
    pending offers go back in line."""
    now = now or timezone.now()
    timed_out = 0
    stale = AgentPresence.objects.exclude(state=PresenceState.OFFLINE).values_list(
        "pk", "organization_id", "agent_id", "last_seen_at"
    )
    timeouts: dict[int, Any] = {}
    for presence_id, organization_id, agent_id, last_seen_at in list(stale):
        if organization_id not in timeouts:
            timeouts[organization_id] = settings_for(organization_id).presence_timeout_seconds
        if (now - last_seen_at).total_seconds() < timeouts[organization_id]:
            continue
        with transaction.atomic():
            _release_offers(organization_id, agent_id)
            presence = AgentPresence.objects.select_for_update().get(pk=presence_id)
            if presence.last_seen_at != last_seen_at or presence.state == PresenceState.OFFLINE:
                # A heartbeat or a choice arrived meanwhile: keep their offers.
                transaction.set_rollback(True)
                continue
            presence.state = PresenceState.OFFLINE
            presence.state_since = now
            presence.save(update_fields=["state", "state_since"])
            _publish_presence(organization_id, agent_id)
            dispatch_on_commit(organization_id)
            timed_out += 1
    return timed_out


# --- the safety net -----------------------------------------------------------------------------


def reconcile(organization_id: int) -> dict[str, int]:
    """Settle items whose request moved on outside routing, and enqueue routed requests that have
    no item yet (the inbound hook missed them, or they were transferred)."""
    counts = {"finished": 0, "cancelled": 0, "moved": 0, "enqueued": 0}
    items = RoutingItem.objects.filter(
        organization_id=organization_id, kind=ItemKind.CASE, state__in=OPEN_STATES
    )
    settled = items.filter(
        Q(case__status__in=[Status.RESOLVED, Status.CLOSED, Status.WAITING])
        | Q(state=ItemState.ASSIGNED) & ~Q(case__assignee_id=F("agent_id"))
        | Q(state__in=[ItemState.WAITING, ItemState.OFFERED], case__assignee__isnull=False)
        | Q(state=ItemState.ASSIGNED, case__assignee__isnull=True)
    ).values_list("pk", flat=True)
    for item_id in list(settled):
        with transaction.atomic():
            item = (
                RoutingItem.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case")
                .filter(pk=item_id, state__in=OPEN_STATES)
                .first()
            )
            if item is None or item.case is None:
                continue
            case = item.case
            done = item.state == ItemState.ASSIGNED and (
                case.status in (Status.RESOLVED, Status.CLOSED, Status.WAITING)
                or case.assignee_id != item.agent_id
            )
            cancelled = item.state != ItemState.ASSIGNED and (
                case.status in (Status.RESOLVED, Status.CLOSED, Status.WAITING)
                or case.assignee_id is not None
            )
            if done or cancelled:
                state = ItemState.DONE if done else ItemState.CANCELLED
                now = timezone.now()
                if item.agent_id is not None and done:
                    AgentPresence.objects.filter(
                        organization_id=organization_id, agent_id=item.agent_id
                    ).update(last_assignment_end=now)
                item.state = state
                item.finished_at = now
                item.offer_expires_at = None
                item.version += 1
                item.save()
                counts["finished" if done else "cancelled"] += 1
    for item in (
        items.filter(state=ItemState.WAITING)
        .exclude(department_id=F("case__department_id"))
        .select_related("case__department")
    ):
        department = item.case.department if item.case else None
        moved = RoutingItem.objects.filter(pk=item.pk, state=ItemState.WAITING).update(
            department=department,
            queue=_queue_for(department, item.channel),
            version=item.version + 1,
        )
        counts["moved"] += moved
    missing = (
        Case.objects.filter(
            organization_id=organization_id,
            status__in=ROUTABLE_STATUSES,
            assignee__isnull=True,
        )
        .exclude(Exists(RoutingItem.objects.filter(case=OuterRef("pk"), state__in=OPEN_STATES)))
        .select_related("organization", "department", "topic")
        .order_by("created_at", "pk")[:SWEEP_BATCH]
    )
    for case in missing:
        if enqueue_case(case) is not None:
            counts["enqueued"] += 1
    return counts
