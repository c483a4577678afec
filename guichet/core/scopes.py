"""Tenant and department isolation as one composable queryset scope.

Every page, API endpoint and export asks `Model.objects.visible_to(user)`; nothing pastes its own
filter. A user's scope is computed once per request from their memberships and cached on the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

_M = TypeVar("_M", bound=models.Model)

_CACHE_ATTRIBUTE = "_guichet_access_scope"


@dataclass(frozen=True)
class AccessScope:
    """What one user may see: whole organizations (supervisors, administrators) or departments."""

    user_id: int | None
    is_platform_admin: bool
    member_organization_ids: frozenset[int]
    whole_organization_ids: frozenset[int]
    administered_organization_ids: frozenset[int]
    department_ids: frozenset[int]

    @property
    def is_empty(self) -> bool:
        return not self.is_platform_admin and not self.member_organization_ids

    def sees_organization(self, organization_id: int) -> bool:
        return self.is_platform_admin or organization_id in self.member_organization_ids

    def sees_whole_organization(self, organization_id: int) -> bool:
        return self.is_platform_admin or organization_id in self.whole_organization_ids

    def sees_department(self, organization_id: int, department_id: int | None) -> bool:
        if self.sees_whole_organization(organization_id):
            return True
        return department_id is not None and department_id in self.department_ids


NO_ACCESS = AccessScope(None, False, frozenset(), frozenset(), frozenset(), frozenset())


def access_scope(user: AbstractBaseUser | AnonymousUser | None) -> AccessScope:
    """The scope of `user`, computed from memberships in two queries and cached on the object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached: AccessScope | None = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    from guichet.organizations.models import Membership, Role

    memberships = list(Membership.objects.filter(user_id=user.pk).prefetch_related("departments"))
    scope = AccessScope(
        user_id=user.pk,
        is_platform_admin=bool(getattr(user, "is_superuser", False)),
        member_organization_ids=frozenset(m.organization_id for m in memberships),
        whole_organization_ids=frozenset(
            m.organization_id for m in memberships if m.sees_whole_organization
        ),
        administered_organization_ids=frozenset(
            m.organization_id for m in memberships if m.role == Role.ADMINISTRATOR
        ),
        department_ids=frozenset(
            d.pk
            for m in memberships
            for d in m.departments.all()
            if d.organization_id == m.organization_id
        ),
    )
    setattr(user, _CACHE_ATTRIBUTE, scope)
    return scope


def forget_access_scope(user: Any) -> None:
    """Drop the cached scope (after memberships change within a request or a test)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


class OrganizationScopedQuerySet(models.QuerySet[_M]):
    """For models with an `organization` foreign key, visible to every member of the organization."""

    def for_organization(self, organization_id: int) -> OrganizationScopedQuerySet[_M]:
        return self.filter(organization_id=organization_id)

    def visible_to(self, user: Any) -> OrganizationScopedQuerySet[_M]:
        scope = access_scope(user)
        if scope.is_platform_admin:
            return self.all()
        return self.filter(organization_id__in=scope.member_organization_ids)


class DepartmentScopedQuerySet(OrganizationScopedQuerySet[_M]):
    """For models with `organization` and `department`: supervisors see the organization, agents
    their departments (and what is assigned to them), nobody anything of another organization."""

    department_field = "department"
    assignee_field: str | None = "assignee"

    def visible_to(self, user: Any) -> DepartmentScopedQuerySet[_M]:
        scope = access_scope(user)
        if scope.is_platform_admin:
            return self.all()
        condition = models.Q(organization_id__in=scope.whole_organization_ids) | models.Q(
            organization_id__in=scope.member_organization_ids,
            **{f"{self.department_field}_id__in": scope.department_ids},
        )
        if self.assignee_field and scope.user_id is not None:
            condition |= models.Q(
                organization_id__in=scope.member_organization_ids,
                **{f"{self.assignee_field}_id": scope.user_id},
            )
        return self.filter(condition)
