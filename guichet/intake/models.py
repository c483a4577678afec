"""The raw inbound record: what a channel handed over, kept before anything else happens."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.scopes import OrganizationScopedQuerySet


class RecordStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed, waiting for retry")
    HELD = "held", _("Kept aside (needs an administrator)")


class InboundRecordQuerySet(OrganizationScopedQuerySet["InboundRecord"]):
    def needing_attention(self) -> InboundRecordQuerySet:
        return self.filter(status__in=[RecordStatus.FAILED, RecordStatus.HELD])


def raw_path(instance: InboundRecord, filename: str) -> str:
    now = timezone.now()
    return f"inbound/{instance.organization_id}/{now:%Y/%m/%d}/{filename}"


class InboundRecord(models.Model):
    """Persisted first, idempotent on (organization, channel, external id); then processed in steps."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="inbound_records",
    )
    channel = models.CharField(_("channel"), max_length=20)
    external_id = models.CharField(_("identifier on the channel"), max_length=300)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    api_token = models.ForeignKey(
        "organizations.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(_("parsed content"), default=dict)
    raw_file = models.FileField(_("raw payload"), upload_to=raw_path, blank=True, max_length=300)
    raw_size = models.PositiveBigIntegerField(_("raw size in bytes"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.RECEIVED
    )
    failed_step = models.CharField(_("failed step"), max_length=20, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    steps = models.JSONField(_("steps done"), default=list, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_records",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    objects = InboundRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "external_id"],
                name="inbound_once_per_channel_id",
            ),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="inbound_once_per_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"
