"""Knowledge in the scoped admin: an organization's administrators edit their own articles, FAQ
and templates and read (never edit) the shared libraries their organization belongs to. Libraries
themselves are managed by platform administrators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guichet.core.admin import OrganizationScopedAdmin, administered_ids, is_platform_admin
from guichet.knowledge.actions import after_item_change, schedule_reindex
from guichet.knowledge.models import Article, FaqEntry, KnowledgeItem, Library, ReplyTemplate


class KnowledgeItemForm(forms.ModelForm[Any]):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        organization = cleaned.get("organization")
        topics = cleaned.get("topics") or []
        if any(organization is None or t.organization_id != organization.pk for t in topics):
            self.add_error("topics", _("Choose topics of the item's own organization."))
        return cleaned


class KnowledgeItemAdmin(OrganizationScopedAdmin):
    form = KnowledgeItemForm
    scoped_relations = {**OrganizationScopedAdmin.scoped_relations, "topics": "organization"}
    filter_horizontal = ["topics"]
    list_filter = ["library"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if is_platform_admin(request):
            return queryset
        # Their organizations' items and, read only, the shared libraries they belong to.
        return queryset.filter(
            models.Q(organization__in=administered_ids(request))
            | models.Q(
                library__in=Library.objects.filter(
                    models.Q(shared_with_all=True)
                    | models.Q(organizations__in=administered_ids(request))
                ).values("pk")
            )
        )

    def _owns(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or is_platform_admin(request):
            return True
        return obj.organization_id in administered_ids(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.library_id is not None:
            return self._allowed(request) and self.get_queryset(request).filter(pk=obj.pk).exists()
        return super().has_view_permission(request, obj)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # Only the platform places content in a shared library.
        return [] if is_platform_admin(request) else ["library"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["source_id"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        after_item_change(form.instance)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        after_item_change(obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        owners = list(queryset.values_list("organization_id", "library_id").distinct())
        super().delete_queryset(request, queryset)
        for organization_id, library_id in owners:
            schedule_reindex(organization_id=organization_id, library_id=library_id)

    @admin.display(description=_("owner"))
    def owner(self, obj: KnowledgeItem) -> str:
        return obj.owner_label


@admin.register(Article)
class ArticleAdmin(KnowledgeItemAdmin):
    list_display = ["title", "owner", "audience", "theme", "valid_until", "updated_at"]
    list_filter = ["audience", "library"]
    search_fields = ["title", "summary", "source_id"]


@admin.register(FaqEntry)
class FaqEntryAdmin(KnowledgeItemAdmin):
    list_display = ["question", "owner", "theme", "updated_at"]
    search_fields = ["question", "answer"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(KnowledgeItemAdmin):
    list_display = ["name", "owner", "is_active", "updated_at"]
    list_filter = ["is_active", "library"]
    search_fields = ["name", "body"]


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin[Library]):
    list_display = ["name", "slug", "shared_with_all"]
    filter_horizontal = ["organizations"]
    prepopulated_fields = {"slug": ["name"]}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        schedule_reindex(library_id=form.instance.pk)
