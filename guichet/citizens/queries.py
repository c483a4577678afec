"""Reads on citizen records for the agent desk: the 360° view and the search for duplicates.

A citizen record is visible to every member of its organization; the cases and conversations shown
with it are only those the user may see, the others are counted, never described."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from guichet.cases.models import Case
from guichet.citizens.identity import InvalidContactPoint, normalise_phone
from guichet.citizens.models import Citizen, ContactPoint
from guichet.conversations.models import Conversation

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class ChannelConversations:
    channel: str
    conversations: list[Conversation]


@dataclass(frozen=True)
class CitizenOverview:
    """What one user may know of a citizen: contact points, the cases they may see (newest first),
    how many other cases exist elsewhere, and the conversations of the visible cases by channel."""

    citizen: Citizen
    contact_points: list[ContactPoint]
    cases: list[Case]
    hidden_case_count: int
    conversations_by_channel: list[ChannelConversations]

    def other_cases(self, case: Case) -> list[Case]:
        return [c for c in self.cases if c.pk != case.pk]


def citizen_overview(user: Any, citizen: Citizen) -> CitizenOverview:
    """The citizen's 360° view for `user` (four queries)."""
    contact_points = list(
        ContactPoint.objects.filter(citizen=citizen).order_by("kind", "created_at", "pk")
    )
    cases = list(
        Case.objects.visible_to(user)
        .filter(citizen=citizen)
        .select_related("department", "topic", "assignee")
        .order_by("-created_at", "-pk")
    )
    total = Case.objects.filter(citizen=citizen).count()
    by_id = {case.pk: case for case in cases}
    conversations = list(
        Conversation.objects.filter(citizen=citizen, case_id__in=list(by_id)).order_by(
            "channel", "-last_message_at", "-pk"
        )
    )
    grouped: dict[str, list[Conversation]] = {}
    for conversation in conversations:
        # The case is already loaded: attach it instead of fetching it again per conversation.
        conversation.case = by_id[conversation.case_id]
        grouped.setdefault(conversation.channel, []).append(conversation)
    return CitizenOverview(
        citizen=citizen,
        contact_points=contact_points,
        cases=cases,
        hidden_case_count=max(total - len(cases), 0),
        conversations_by_channel=[ChannelConversations(k, v) for k, v in grouped.items()],
    )


def merge_candidates(citizen: Citizen) -> models.QuerySet[Citizen]:
    """Records that may be merged into `citizen`: active ones of the same organization."""
    return (
        Citizen.objects.active()
        .filter(organization_id=citizen.organization_id)
        .exclude(pk=citizen.pk)
    )


def search_citizens(citizen: Citizen, text: str) -> list[Citizen]:
    """Possible duplicates of `citizen` matching a name, an email address or a phone number
    (phones are compared in their normalised E.164 form), with their contact points loaded."""
    text = text.strip()
    if not text:
        return []
    condition = Q(display_name__icontains=text) | Q(contact_points__value__icontains=text.lower())
    with contextlib.suppress(InvalidContactPoint):
        condition |= Q(contact_points__value=normalise_phone(text))
    matching = merge_candidates(citizen).filter(condition).values("pk")
    return list(
        Citizen.objects.filter(pk__in=matching)
        .prefetch_related("contact_points")
        .order_by("display_name", "pk")[:SEARCH_LIMIT]
    )
