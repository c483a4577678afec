"""Cases (demandes): reference, topic, department, priority, status lifecycle and timeline."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.cases.lifecycle import ACTIVE_STATUSES, Status
from guichet.core.scopes import DepartmentScopedQuerySet


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


class CaseQuerySet(DepartmentScopedQuerySet["Case"]):
    def active(self) -> CaseQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)


class Case(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="cases",
    )
    reference = models.CharField(_("reference"), max_length=32)
    citizen = models.ForeignKey(
        "citizens.Citizen",
        verbose_name=_("citizen"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    subject = models.CharField(_("subject"), max_length=300)
    channel = models.CharField(_("first channel"), max_length=20)
    topic = models.ForeignKey(
        "organizations.Topic",
        verbose_name=_("topic"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token)
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows up on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    last_inbound_at = models.DateTimeField(_("last citizen message"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="case_reference_per_org"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status", "department"]),
            models.Index(fields=["citizen", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.due_at is not None and self.due_at < timezone.now()


class EventKind(models.TextChoices):
    CREATED = "case.created", _("Request created")
    MESSAGE_RECEIVED = "message.received", _("Message received")
    MESSAGE_SENT = "message.sent", _("Reply sent")
    NOTE_ADDED = "note.added", _("Internal note")
    ASSIGNED = "case.assigned", _("Assigned")
    TRANSFERRED = "case.transferred", _("Transferred")
    STATUS_CHANGED = "case.status_changed", _("Status changed")
    PRIORITY_CHANGED = "case.priority_changed", _("Priority changed")
    TOPIC_CHANGED = "case.topic_changed", _("Topic changed")
    CITIZEN_MERGED = "citizen.merged", _("Citizen records merged")
    DELIVERY_FAILED = "message.delivery_failed", _("Delivery failed")
    MESSAGE_SPLIT = "message.split", _("Message made a separate request")
    PIPELINE = "intake.step", _("Reception step")


class CaseEvent(models.Model):
    """One line of the case timeline. Append-only: events are never edited or deleted."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=40, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=200, blank=True)
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.created_at:%Y-%m-%d %H:%M}"


class ReferenceCounter(models.Model):
    """The last case number given out per organization and year."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"], name="one_counter_per_org_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year}: {self.value}"
