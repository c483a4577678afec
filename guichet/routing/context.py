"""The routing context: what the pure engine (`guichet.routing.assignment`) needs, loaded from the
database in a fixed number of queries (eight, whatever the number of agents and items), frozen.

An agent counts as present only if their state is available or busy *and* their desk answered
within the presence timeout: a browser closed without a word stops receiving work at once, before
the periodic job writes the "offline" state down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from django.db.models import Count

from guichet.organizations.models import Department, Membership, Role
from guichet.routing.assignment import (
    LANGUAGE,
    TOPIC,
    AgentState,
    AssignmentPolicy,
    Overflow,
    PolicySet,
    Presence,
    RelaxationStep,
    WorkItem,
)
from guichet.routing.models import (
    LOAD_STATES,
    AgentCapacity,
    AgentPresence,
    AgentSkill,
    ItemKind,
    PresenceState,
    PushMode,
    RoutingItem,
    RoutingSettings,
)

# How many waiting items one context carries at most, oldest and most urgent first.
MAX_ITEMS = 500
# A request without a department goes to the agents who see the whole organization only: the
# engine sees it in this pseudo-department, which only they belong to.
UNROUTED_DEPARTMENT = 0
# Agents who declined an item (or let the offer expire) are not offered it again for this long;
# then everyone is a candidate again, so an item is never stuck with every agent excluded.
DECLINE_MEMORY = timedelta(minutes=10)


@dataclass(frozen=True)
class LoadedContext:
    organization_id: int
    now: datetime
    push_mode: str
    offer_timeout: timedelta
    presence_timeout: timedelta
    default_capacity: Mapping[str, int]
    policy: PolicySet
    agents: tuple[AgentState, ...]
    items: tuple[WorkItem, ...]
    agent_names: Mapping[int, str] = field(default_factory=dict)

    def agent(self, agent_id: int) -> AgentState | None:
        return next((agent for agent in self.agents if agent.id == agent_id), None)


def settings_for(organization_id: int) -> RoutingSettings:
    """The organization's routing settings, or the defaults (unsaved) when it has none."""
    found = RoutingSettings.objects.filter(organization_id=organization_id).first()
    return found or RoutingSettings(organization_id=organization_id)


def policy_for(config: RoutingSettings) -> AssignmentPolicy:
    minimums = {LANGUAGE: 1}
    if config.require_topic_skill:
        minimums[TOPIC] = 1
    relaxation: tuple[RelaxationStep, ...] = ()
    if config.relax_after_minutes is not None:
        relaxation = (
            RelaxationStep(
                after_minutes=config.relax_after_minutes, drop=frozenset({TOPIC, LANGUAGE})
            ),
        )
    return AssignmentPolicy(min_proficiency=MappingProxyType(minimums), relaxation=relaxation)


def load_context(
    organization_id: int,
    now: datetime,
    *,
    agent_ids: Collection[int] | None = None,
    item_ids: Collection[int] | None = None,
) -> LoadedContext:
    """The routing context of one organization: its present agents (or only `agent_ids`) and its
    waiting items (or only `item_ids`). Eight queries."""
    config = settings_for(organization_id)
    timeout = timedelta(seconds=config.presence_timeout_seconds)
    presences = AgentPresence.objects.filter(
        organization_id=organization_id,
        state__in=[PresenceState.AVAILABLE, PresenceState.BUSY],
        agent__is_active=True,
        last_seen_at__gte=now - timeout,
    ).select_related("agent")
    if agent_ids is not None:
        presences = presences.filter(agent_id__in=list(agent_ids))
    present = list(presences)
    ids = [p.agent_id for p in present]

    memberships = Membership.objects.filter(
        organization_id=organization_id, user_id__in=ids
    ).values_list("user_id", "role", "departments")
    whole: set[int] = set()
    departments: dict[int, set[int]] = defaultdict(set)
    for user_id, role, department_id in memberships:
        if role in (Role.SUPERVISOR, Role.ADMINISTRATOR):
            whole.add(user_id)
        if department_id is not None:
            departments[user_id].add(department_id)
    every_department = frozenset(
        Department.objects.filter(organization_id=organization_id, is_active=True).values_list(
            "pk", flat=True
        )
    )

    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for skill in AgentSkill.objects.filter(organization_id=organization_id, agent_id__in=ids):
        skills[skill.agent_id][skill.name] = skill.proficiency

    defaults = config.default_capacity()
    capacities: dict[int, dict[str, int]] = {agent_id: dict(defaults) for agent_id in ids}
    for agent_id, channel, capacity in AgentCapacity.objects.filter(
        organization_id=organization_id, agent_id__in=ids
    ).values_list("agent_id", "channel", "capacity"):
        capacities[agent_id][channel] = capacity

    loads: dict[int, dict[str, int]] = defaultdict(dict)
    for agent_id, channel, count in (
        RoutingItem.objects.filter(
            organization_id=organization_id, agent_id__in=ids, state__in=LOAD_STATES
        )
        .values("agent_id", "channel")
        .annotate(count=Count("pk"))
        .values_list("agent_id", "channel", "count")
    ):
        loads[agent_id][channel] = count

    waiting = RoutingItem.objects.filter(organization_id=organization_id).waiting()
    if item_ids is not None:
        waiting = waiting.filter(pk__in=list(item_ids))
    items = tuple(
        work_item(item, now)
        for item in waiting.select_related("queue__overflow_department").order_by(
            "-priority", "waiting_since", "pk"
        )[:MAX_ITEMS]
    )

    agents = tuple(
        AgentState(
            id=p.agent_id,
            presence=Presence(p.state),
            skills=MappingProxyType(skills[p.agent_id]),
            capacity=MappingProxyType(capacities[p.agent_id]),
            load=MappingProxyType(loads[p.agent_id]),
            last_assignment_end=p.last_assignment_end,
            departments=(
                every_department | {UNROUTED_DEPARTMENT}
                if p.agent_id in whole
                else frozenset(departments[p.agent_id]) & every_department
            ),
        )
        for p in present
    )
    return LoadedContext(
        organization_id=organization_id,
        now=now,
        push_mode=config.push_mode or PushMode.OFFER,
        offer_timeout=timedelta(seconds=config.offer_timeout_seconds),
        presence_timeout=timeout,
        default_capacity=MappingProxyType(defaults),
        policy=PolicySet(default=policy_for(config)),
        agents=agents,
        items=items,
        agent_names=MappingProxyType({p.agent_id: str(p.agent) for p in present}),
    )


def work_item(item: RoutingItem, now: datetime) -> WorkItem:
    """The engine's view of a routing item."""
    department = item.department_id
    if department is None and item.kind == ItemKind.CASE:
        department = UNROUTED_DEPARTMENT
    declined: frozenset[int] = frozenset()
    if item.last_declined_at is not None and now - item.last_declined_at < DECLINE_MEMORY:
        declined = frozenset(int(agent_id) for agent_id in item.declined_by or ())
    return WorkItem(
        id=item.pk,
        channel=item.channel,
        waiting_since=item.waiting_since,
        department=department,
        topic=item.topic or None,
        language=item.language or None,
        priority=item.priority,
        due_at=item.due_at,
        preferred_agent_id=item.preferred_agent_id,
        required_skills=MappingProxyType({str(k): int(v) for k, v in (item.skills or {}).items()}),
        declined_by=declined,
        overflow=queue_overflow(item),
    )


def queue_overflow(item: RoutingItem) -> tuple[Overflow, ...]:
    """The overflow step of the item's queue ("after N minutes, agents of X may take it"); load
    the item with `select_related("queue__overflow_department")`."""
    queue = item.queue if item.queue_id is not None else None
    if queue is None or queue.overflow_after_minutes is None:
        return ()
    department = queue.overflow_department
    if department is None or not department.is_active or department.pk == item.department_id:
        return ()
    return (Overflow(queue.overflow_after_minutes, department.pk, department.name),)
