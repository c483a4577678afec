"""Scheduled callbacks (rappels programmés): a citizen asks to be called back at a chosen slot."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.scopes import DepartmentScopedQuerySet


class CallbackStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Waiting for an agent")
    REACHED = "reached", _("Citizen reached")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CANCELLED = "cancelled", _("Cancelled")
    UNREACHED = "unreached", _("Not reached after every attempt")


# Statuses in which the callback still holds its slot and may still be made.
OPEN_STATUSES = frozenset({CallbackStatus.SCHEDULED, CallbackStatus.QUEUED})


class Outcome(models.TextChoices):
    """What an agent records after an attempt (or a cancellation)."""

    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CANCELLED = "cancelled", _("Cancelled")


class BookedVia(models.TextChoices):
    PORTAL = "portal", _("Portal")
    DESK = "desk", _("Agent desk")
    PHONE_MENU = "phone_menu", _("Phone menu")


class CallbackQuerySet(DepartmentScopedQuerySet["Callback"]):
    assignee_field = None

    def open(self) -> CallbackQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Callback(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="callbacks",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("request"), on_delete=models.CASCADE, related_name="callbacks"
    )
    phone = models.CharField(_("phone number"), max_length=20)
    reason = models.TextField(_("reason"), blank=True)
    slot_start = models.DateTimeField(_("slot"))
    slot_end = models.DateTimeField(_("end of the slot"))
    status = models.CharField(
        _("status"),
        max_length=15,
        choices=CallbackStatus.choices,
        default=CallbackStatus.SCHEDULED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due (the slot at first, then after each unanswered attempt).
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    last_outcome = models.CharField(
        _("last outcome"), max_length=15, choices=Outcome.choices, blank=True
    )
    booked_via = models.CharField(
        _("booked from"), max_length=15, choices=BookedVia.choices, default=BookedVia.PORTAL
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = CallbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["slot_start", "pk"]
        indexes = [models.Index(fields=["department", "status", "slot_start"])]

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.slot_start:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
