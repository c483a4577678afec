"""The Django admin, scoped: an organization's administrators configure their own organization and
never see another one. Platform superusers see everything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from guichet.core.scopes import access_scope


def administered_ids(request: HttpRequest) -> frozenset[int]:
    return access_scope(request.user).administered_organization_ids


def is_platform_admin(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_superuser", False))


class OrganizationScopedAdmin(admin.ModelAdmin[Any]):
    """For models with an `organization` foreign key (or the Organization model itself, with
    `organization_field = "pk"`)."""

    organization_field = "organization"
    # Related models whose choices must be limited to the administered organizations, by the
    # path from that model to its organization.
    scoped_relations: dict[str, str] = {
        "organization": "pk",
        "department": "organization",
        "default_department": "organization",
        "topic": "organization",
        "citizen": "organization",
        "case": "organization",
        "departments": "organization",
    }

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (is_platform_admin(request) or administered_ids(request))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and self._owns(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and self._owns(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and self._owns(request, obj)

    def _owns(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or is_platform_admin(request):
            return True
        value = (
            obj.pk
            if self.organization_field == "pk"
            else getattr(obj, f"{self.organization_field}_id")
        )
        return value in administered_ids(request)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        if is_platform_admin(request):
            return queryset
        return queryset.filter(**{f"{self.organization_field}__in": administered_ids(request)})

    def _limit(self, request: HttpRequest, db_field: Any, kwargs: dict[str, Any]) -> None:
        path = self.scoped_relations.get(db_field.name)
        if path is None or is_platform_admin(request):
            return
        related = db_field.remote_field.model._default_manager.all()
        kwargs["queryset"] = related.filter(**{f"{path}__in": administered_ids(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """For journals: visible, never added, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
