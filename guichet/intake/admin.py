from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from guichet.core.admin import OrganizationScopedAdmin
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.pipeline import retry_now


class AttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Failed or kept aside"))]

    def queryset(
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> models.QuerySet[Any]:
        if self.value() == "yes":
            return InboundRecord.objects.needing_attention().filter(pk__in=queryset.values("pk"))
        return queryset


@admin.register(InboundRecord)
class InboundRecordAdmin(OrganizationScopedAdmin):
    """Every message as received. Failed ones are retried automatically; administrators see why
    they failed and can retry them once the cause is fixed."""

    list_display = [
        "received_at",
        "channel",
        "short_external_id",
        "status",
        "failed_step",
        "attempts",
        "case_link",
    ]
    list_filter = [AttentionFilter, "status", "channel"]
    search_fields = ["external_id", "case__reference"]
    actions = ["retry"]
    readonly_fields = [
        "organization",
        "channel",
        "external_id",
        "idempotency_key",
        "api_token",
        "status",
        "failed_step",
        "error",
        "attempts",
        "next_attempt_at",
        "received_at",
        "processed_at",
        "raw_file",
        "raw_size",
        "case",
        "payload",
        "steps",
    ]
    exclude = ["request_fingerprint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("identifier"))
    def short_external_id(self, obj: InboundRecord) -> str:
        return obj.external_id[:60]

    @admin.display(description=_("request"))
    def case_link(self, obj: InboundRecord) -> str:
        if obj.case is None:
            return "—"
        url = reverse("desk:case", args=[obj.case.reference])
        return format_html('<a href="{}">{}</a>', url, obj.case.reference)

    @admin.action(description=_("Retry the selected messages now"))
    def retry(self, request: HttpRequest, queryset: models.QuerySet[InboundRecord]) -> None:
        done = failed = 0
        for record in queryset.filter(status__in=[RecordStatus.FAILED, RecordStatus.HELD]):
            retry_now(record)
            if record.status == RecordStatus.PROCESSED:
                done += 1
            else:
                failed += 1
        messages.info(
            request,
            _("Processed: %(done)d. Still failing: %(failed)d.") % {"done": done, "failed": failed},
        )
