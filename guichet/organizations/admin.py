from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.core.admin import OrganizationScopedAdmin, administered_ids, is_platform_admin
from guichet.organizations.models import ApiToken, Department, Membership, Organization, Topic, User


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_field = "pk"
    list_display = ["name", "slug", "reference_prefix", "email_address", "response_days"]
    search_fields = ["name", "slug"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "reference_prefix", "email_address"]}),
        (_("Appearance"), {"fields": ["logo", "primary_color", "portal_intro"]}),
        (_("Handling"), {"fields": ["response_days", "default_department", "relay_senders"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The slug and prefix are in links and references already given to citizens.
        return [] if is_platform_admin(request) else ["slug", "reference_prefix"]


@admin.register(Department)
class DepartmentAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization", "email_address", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(OrganizationScopedAdmin):
    list_display = ["name", "department", "organization", "is_public", "response_days", "is_active"]
    list_filter = ["is_public", "is_active"]
    search_fields = ["name", "keywords"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    fk_name = "user"
    extra = 0
    filter_horizontal = ["departments"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        if is_platform_admin(request):
            return queryset
        return queryset.filter(organization__in=administered_ids(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "organization" and not is_platform_admin(request):
            kwargs["queryset"] = Organization.objects.filter(pk__in=administered_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "departments" and not is_platform_admin(request):
            kwargs["queryset"] = Department.objects.filter(
                organization__in=administered_ids(request)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, OrganizationScopedAdmin):
    organization_field = "memberships__organization"
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request).distinct()
        if is_platform_admin(request):
            return queryset
        # People who belong only to organizations this administrator administers: someone who
        # also works elsewhere, or a platform superuser, is managed by the platform.
        elsewhere = Membership.objects.exclude(organization__in=administered_ids(request))
        return queryset.filter(is_superuser=False).exclude(pk__in=elsewhere.values("user_id"))

    def _owns(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or is_platform_admin(request):
            return True
        if obj.is_superuser:
            return False
        organizations = set(obj.memberships.values_list("organization_id", flat=True))
        return bool(organizations) and organizations <= administered_ids(request)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if is_platform_admin(request) or obj is None:
            return fieldsets
        # Organization administrators manage people, not platform-wide permissions.
        return [
            (None, {"fields": ["username", "password"]}),
            (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
            (_("Access"), {"fields": ["is_active", "is_staff"]}),
        ]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        if not is_platform_admin(request) and not user.memberships.exists():
            messages.warning(request, _("This user has no membership yet: they will see nothing."))


@admin.register(ApiToken)
class ApiTokenAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization", "key_id", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_id", "created_at", "last_used_at", "revoked_at"]
    fields = ["organization", "name", "key_id", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, plain = ApiToken.issue(obj.organization, obj.name)
        obj.pk = token.pk
        obj.key_id = token.key_id
        messages.warning(
            request,
            _("Copy this token now, it will not be shown again: %(token)s") % {"token": plain},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: models.QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
        )
