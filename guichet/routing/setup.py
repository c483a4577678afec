"""A starting routing configuration for an organization (used by the demo, handy for a new
organization): a queue per department, every agent skilled on their departments' topics and in
French, supervisors as a second line on every topic, default capacities, everyone present."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from guichet.organizations.models import Membership, Organization, Role, Topic
from guichet.routing.models import (
    AgentPresence,
    AgentSkill,
    PresenceState,
    Queue,
    RoutingSettings,
    SkillKind,
)

AGENT_PROFICIENCY = 4
SUPERVISOR_PROFICIENCY = 2


@transaction.atomic
def configure_default_routing(
    organization: Organization, *, presence: str = PresenceState.AVAILABLE
) -> int:
    """Idempotent; returns the number of skills given."""
    RoutingSettings.objects.get_or_create(organization=organization)
    for department in organization.departments.filter(is_active=True):
        Queue.objects.get_or_create(
            organization=organization,
            department=department,
            channel="",
            defaults={"name": department.name},
        )
    topics = list(Topic.objects.filter(organization=organization, is_active=True))
    given = 0
    now = timezone.now()
    memberships = Membership.objects.filter(
        organization=organization, user__is_active=True
    ).prefetch_related("departments")
    for membership in memberships:
        if membership.role == Role.ADMINISTRATOR:
            continue
        if membership.role == Role.SUPERVISOR:
            mine, level = topics, SUPERVISOR_PROFICIENCY
        else:
            departments = {d.pk for d in membership.departments.all()}
            mine = [t for t in topics if t.department_id in departments]
            level = AGENT_PROFICIENCY
        wanted = [(SkillKind.TOPIC, t.slug, level) for t in mine]
        wanted += [(SkillKind.LANGUAGE, "fr", 5), (SkillKind.CHANNEL, "phone", 3)]
        for kind, value, proficiency in wanted:
            _skill, created = AgentSkill.objects.get_or_create(
                organization=organization,
                agent_id=membership.user_id,
                kind=kind,
                value=value,
                defaults={"proficiency": proficiency},
            )
            given += created
        AgentPresence.objects.update_or_create(
            organization=organization,
            agent_id=membership.user_id,
            defaults={"state": presence, "state_since": now, "last_seen_at": now},
        )
    return given
