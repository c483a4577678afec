"""Administration of SLA policies and working calendars, scoped to the administered organizations.

The Marianne preset is an action on the organizations list ("Add the Marianne SLA policies"), also
available as `guichet sla-preset <organization>`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.core.admin import OrganizationScopedAdmin
from guichet.organizations.admin import OrganizationAdmin
from guichet.organizations.models import Organization
from guichet.sla.actions import do_apply_marianne_preset
from guichet.sla.models import Closure, OpeningHours, SlaPolicy, WorkCalendar


class OpeningHoursInline(admin.TabularInline[OpeningHours, WorkCalendar]):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline[Closure, WorkCalendar]):
    model = Closure
    extra = 0


@admin.register(WorkCalendar)
class WorkCalendarAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization", "department", "territory", "time_zone"]
    inlines = [OpeningHoursInline, ClosureInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(OrganizationScopedAdmin):
    list_display = [
        "name",
        "organization",
        "target",
        "department",
        "channel",
        "topic",
        "amount",
        "unit",
        "is_active",
    ]
    list_filter = ["target", "unit", "is_active", "preset"]
    search_fields = ["name"]


@admin.action(description=_("Add the Marianne SLA policies"))
def add_marianne_preset(
    modeladmin: Any, request: HttpRequest, queryset: models.QuerySet[Organization]
) -> None:
    created = 0
    for organization in queryset:
        if modeladmin.has_change_permission(request, organization):
            created += len(do_apply_marianne_preset(organization))
    modeladmin.message_user(
        request,
        ngettext("%(count)d policy created.", "%(count)d policies created.", created)
        % {"count": created},
        messages.SUCCESS,
    )


# The preset belongs to this app; it is offered on the organizations list, where it applies.
_existing_actions: list[Any] = list(getattr(OrganizationAdmin, "actions", None) or [])
setattr(  # noqa: B010 — a class attribute of another app's admin, set once at import
    OrganizationAdmin, "actions", [*_existing_actions, add_marianne_preset]
)
