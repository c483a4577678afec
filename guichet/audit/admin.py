from django.contrib import admin

from guichet.audit.models import AuditEntry
from guichet.core.admin import OrganizationScopedAdmin, ReadOnlyAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_id"]
    date_hierarchy = "created_at"
