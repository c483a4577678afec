"""Triage in the scoped admin: each organization's settings (threshold, model switched on or
off), its predictions, and a quality page (docs/assist.md, "Triage in the pipeline")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.assist.curve_chart import CurveChart, curve_chart
from guichet.assist.models import AssistSettings, Prediction
from guichet.assist.queries import QUALITY_DAYS, Quality, quality
from guichet.assist.thresholds import RECOMMENDED, SET_BY_ADMINISTRATOR, Threshold
from guichet.assist.training import model_status, threshold_applies, threshold_for
from guichet.core.admin import (
    OrganizationScopedAdmin,
    ReadOnlyAdminMixin,
    administered_ids,
    is_platform_admin,
)
from guichet.organizations.models import Organization


def _organizations(request: HttpRequest) -> list[Organization]:
    organizations = Organization.objects.order_by("name")
    if not is_platform_admin(request):
        organizations = organizations.filter(pk__in=administered_ids(request))
    return list(organizations)


def _warn_unusable_models(request: HttpRequest) -> None:
    """A trained model that cannot be loaded: the keyword rules decide meanwhile."""
    for organization in _organizations(request):
        status = model_status(organization)
        if status.error:
            messages.warning(
                request,
                _(
                    "%(organization)s: the trained triage model cannot be used, the topic "
                    "keywords decide meanwhile (%(error)s). Train it again with guichet "
                    "assist-train."
                )
                % {"organization": organization.name, "error": status.error},
            )


def describe_threshold(threshold: Threshold, *, applies: bool) -> str:
    """The threshold in use and where it comes from, in a sentence; or why none applies."""
    if not applies:
        return _("none: the topic keywords decide, the threshold applies only to a trained model")
    value = number_format(threshold.value)  # "0,5" in French
    if threshold.source == SET_BY_ADMINISTRATOR:
        return _("%(value)s (set by an administrator)") % {"value": value}
    if threshold.source == RECOMMENDED and threshold.point is not None:
        return _(
            "%(value)s (recommended by the last training: %(share)s %% of requests routed "
            "automatically, %(accuracy)s %% of them with the right topic)"
        ) % {
            "value": value,
            "share": round(threshold.point.auto_share * 100),
            "accuracy": round(threshold.point.auto_accuracy * 100),
        }
    return _("%(value)s (default: the model was trained before thresholds were measured)") % {
        "value": value
    }


def _report_view(report: Quality) -> tuple[Quality, str, CurveChart]:
    """A report with its threshold in a sentence and its curve as a chart."""
    text = describe_threshold(report.threshold, applies=report.threshold_applies)
    in_use = report.threshold.value if report.threshold_applies else None
    return report, text, curve_chart(report.status.curve, report.target_accuracy, in_use)


# The settings' columns in the list and fields on the page, in the same order.
_SETTINGS_COLUMNS = (
    "organization",
    "model_enabled",
    "confidence_threshold",
    "target_accuracy",
    "threshold_used",
    "model_in_use",
)


@admin.register(AssistSettings)
class AssistSettingsAdmin(OrganizationScopedAdmin):
    list_display = _SETTINGS_COLUMNS
    readonly_fields = ["threshold_used", "model_in_use"]
    fields = _SETTINGS_COLUMNS

    @admin.display(description=gettext_lazy("threshold in use"))
    def threshold_used(self, obj: AssistSettings) -> str:
        if obj.pk is None:
            return "—"
        status = model_status(obj.organization)
        return describe_threshold(
            threshold_for(obj, status), applies=threshold_applies(obj, status)
        )

    @admin.display(description=gettext_lazy("model in use"))
    def model_in_use(self, obj: AssistSettings) -> str:
        if obj.pk is None:
            return "—"
        status = model_status(obj.organization)
        if status.error:
            return _("keyword rules (the trained model cannot be loaded: %(error)s)") % {
                "error": status.error
            }
        if not status.trained:
            return _("keyword rules (no trained model yet)")
        return _("%(model)s, version %(version)s") % {
            "model": status.name,
            "version": status.version,
        }

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "quality/",
                self.admin_site.admin_view(self.quality_view),
                name="assist_quality",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _warn_unusable_models(request)
        context = {**(extra_context or {}), "quality_url": reverse("admin:assist_quality")}
        return super().changelist_view(request, extra_context=context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            _warn_unusable_models(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def quality_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Triage quality"),
            "days": QUALITY_DAYS,
            "reports": [
                _report_view(quality(organization)) for organization in _organizations(request)
            ],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assist/quality.html", context)


@admin.register(Prediction)
class PredictionAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    list_display = [
        "created_at",
        "case_link",
        "model_name",
        "model_version",
        "topic",
        "confidence",
        "auto_routed",
        "language",
        "urgency",
        "aggressive",
    ]
    list_filter = ["auto_routed", "urgency", "aggressive", "model_name"]
    list_select_related = ["case", "topic"]
    search_fields = ["case__reference"]

    @admin.display(description=gettext_lazy("request"))
    def case_link(self, obj: Prediction) -> str:
        return obj.case.reference
