from django.contrib import admin

from guichet.citizens.models import CitizenMerge
from guichet.core.admin import OrganizationScopedAdmin, ReadOnlyAdminMixin


@admin.register(CitizenMerge)
class CitizenMergeAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    list_display = ["created_at", "source", "target", "actor", "reason"]
    readonly_fields = ["source", "target", "actor", "reason", "moved", "created_at"]
