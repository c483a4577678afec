"""Reads for routing screens: an agent's presence, offers and items; a queue's waiting items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from guichet.routing.models import (
    OPEN_STATES,
    AgentPresence,
    ItemState,
    PresenceState,
    RoutingItem,
)


@dataclass(frozen=True)
class DeskRouting:
    """What the desk header shows an agent about routing in one organization."""

    organization_id: int
    state: str
    offers: list[RoutingItem]
    assigned: int

    @property
    def state_label(self) -> str:
        return str(PresenceState(self.state).label)


def presence_state(agent: Any, organization_id: int) -> str:
    """The agent's presence (offline when they never set one)."""
    state = (
        AgentPresence.objects.filter(organization_id=organization_id, agent_id=agent.pk)
        .values_list("state", flat=True)
        .first()
    )
    return state or PresenceState.OFFLINE


def my_offers(agent: Any, organization_id: int) -> QuerySet[RoutingItem]:
    """The offers waiting for the agent's answer, oldest first, still valid."""
    return (
        RoutingItem.objects.filter(
            organization_id=organization_id,
            agent_id=agent.pk,
            state=ItemState.OFFERED,
            offer_expires_at__gt=timezone.now(),
        )
        .select_related("case", "department")
        .order_by("offer_expires_at", "pk")
    )


def desk_routing(agent: Any, organization_id: int) -> DeskRouting:
    """Presence, pending offers and the number of items in hand (three queries)."""
    return DeskRouting(
        organization_id=organization_id,
        state=presence_state(agent, organization_id),
        offers=list(my_offers(agent, organization_id)),
        assigned=RoutingItem.objects.filter(
            organization_id=organization_id, agent_id=agent.pk, state=ItemState.ASSIGNED
        ).count(),
    )


def waiting_items(user: Any, organization_id: int) -> QuerySet[RoutingItem]:
    """The organization's open items in serving order, for users who may see them."""
    return (
        RoutingItem.objects.visible_to(user)
        .filter(organization_id=organization_id, state__in=OPEN_STATES)
        .select_related("case", "department", "queue", "agent")
        .order_by("-priority", "waiting_since", "pk")
    )
