"""One record per citizen (usager) and organization, reached through normalised contact points."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.scopes import OrganizationScopedQuerySet, access_scope


class ContactKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Other channel identifier")


class CitizenQuerySet(OrganizationScopedQuerySet["Citizen"]):
    def active(self) -> CitizenQuerySet:
        return self.filter(merged_into__isnull=True)

    def visible_to(self, user: Any) -> CitizenQuerySet:
        """Supervisors and administrators see their organization's citizens; an agent sees the
        citizens of the cases they can see (department isolation covers personal data too)."""
        from guichet.cases.models import Case

        scope = access_scope(user)
        if scope.is_platform_admin:
            return self.all()
        return self.filter(
            models.Q(organization_id__in=scope.whole_organization_ids)
            | models.Q(pk__in=Case.objects.visible_to(user).values("citizen_id"))
        )


class Citizen(models.Model):
    """A member of the public. Records merged into another stay as tombstones pointing to it."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="citizens",
    )
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=20, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, default="fr")
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = CitizenQuerySet.as_manager()

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.display_name or _("Citizen #%(id)s") % {"id": self.pk}


class ContactPoint(models.Model):
    """An email address, phone number or other channel identifier; one owner per organization."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    citizen = models.ForeignKey(
        Citizen, verbose_name=_("citizen"), on_delete=models.CASCADE, related_name="contact_points"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    channel = models.CharField(
        _("channel"),
        max_length=20,
        blank=True,
        help_text=_("For other identifiers: whatsapp, chat..."),
    )
    value = models.CharField(_("value"), max_length=320)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["kind", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "channel", "value"], name="contact_point_owner"
            )
        ]

    def __str__(self) -> str:
        return self.value


class CitizenMerge(models.Model):
    """Audit of a merge: who folded which record into which, why, and what moved."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    source = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="merges_as_source")
    target = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="merges_as_target")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"))
    moved = models.JSONField(_("moved records"), default=dict)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("citizen merge")
        verbose_name_plural = _("citizen merges")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"
