"""Routing configuration in the scoped admin: an organization's administrators set its queues,
routing settings, and their agents' skills and capacities; presences and items are shown only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from guichet.core.admin import (
    OrganizationScopedAdmin,
    ReadOnlyAdminMixin,
    administered_ids,
    is_platform_admin,
)
from guichet.organizations.models import User
from guichet.routing.actions import dispatch_on_commit
from guichet.routing.models import (
    AgentCapacity,
    AgentPresence,
    AgentSkill,
    Queue,
    RoutingItem,
    RoutingSettings,
)


class _RoutingAdmin(OrganizationScopedAdmin):
    """Agents are chosen among the members of the administered organizations; a change that
    may free or add capacity lets waiting work flow at once."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "agent" and not is_platform_admin(request):
            kwargs["queryset"] = User.objects.filter(
                memberships__organization__in=administered_ids(request)
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        dispatch_on_commit(obj.organization_id)


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(_RoutingAdmin):
    list_display = [
        "organization",
        "push_mode",
        "offer_timeout_seconds",
        "presence_timeout_seconds",
        "phone_capacity",
        "chat_capacity",
        "email_capacity",
    ]


@admin.register(Queue)
class QueueAdmin(_RoutingAdmin):
    list_display = [
        "name",
        "department",
        "channel",
        "organization",
        "is_active",
        "overflow_department",
        "overflow_after_minutes",
    ]
    scoped_relations = {
        **OrganizationScopedAdmin.scoped_relations,
        "overflow_department": "organization",
    }
    list_filter = ["is_active", "channel"]
    search_fields = ["name"]


@admin.register(AgentSkill)
class AgentSkillAdmin(_RoutingAdmin):
    list_display = ["agent", "kind", "value", "proficiency", "organization"]
    list_filter = ["kind", "proficiency"]
    search_fields = ["agent__username", "agent__last_name", "value"]


@admin.register(AgentCapacity)
class AgentCapacityAdmin(_RoutingAdmin):
    list_display = ["agent", "channel", "capacity", "organization"]
    list_filter = ["channel"]
    search_fields = ["agent__username", "agent__last_name"]


@admin.register(AgentPresence)
class AgentPresenceAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    list_display = ["agent", "state", "state_since", "last_seen_at", "organization"]
    list_filter = ["state"]


@admin.register(RoutingItem)
class RoutingItemAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    list_display = [
        "pk",
        "kind",
        "case",
        "callback_id",
        "department",
        "channel",
        "priority",
        "state",
        "agent",
        "attempts",
        "waiting_since",
    ]
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["case", "department", "agent"]
