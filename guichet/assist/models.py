"""What triage predicted for each new request, and each organization's triage settings.

A `Prediction` is written by the inbound pipeline's classify step for every new request: the
model (name and version) that answered, the topic it chose and that topic's department, its
confidence, whether the request was routed on that answer or sent to the triage queue, the
language of the message and its urgency and tone.

The *final* topic and department are not copied onto the prediction: they are the case's own
(`case.topic`, `case.department`), read when needed, so a correction an agent makes — by any
path, now or later — is always what counts. A prediction is *reviewed* once an agent stood
behind an answer: the request was resolved (or closed), or it has a topic other than the
predicted one (an agent corrected it; a request sent to the triage queue has no topic until an
agent sorts it). It is *confirmed* when reviewed with the predicted topic kept.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.assist.thresholds import DEFAULT_TARGET_ACCURACY


class AssistSettings(models.Model):
    """Per organization; an organization without a row uses the defaults."""

    organization = models.OneToOneField(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="assist_settings",
    )
    model_enabled = models.BooleanField(
        _("use the trained model"),
        default=True,
        help_text=_(
            "When unchecked, or before any model is trained, the topic keywords decide "
            "(guichet assist-train trains a model on the organization's history)."
        ),
    )
    confidence_threshold = models.FloatField(
        _("confidence threshold for automatic routing"),
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_(
            "Between 0 and 1. A request the trained model classifies with a lower confidence "
            "goes to the reception department to be sorted by an agent. Leave empty to use "
            "the threshold recommended by the last training for the target accuracy below."
        ),
    )
    target_accuracy = models.FloatField(
        _("target accuracy of automatic routing"),
        default=DEFAULT_TARGET_ACCURACY,
        validators=[MinValueValidator(0.5), MaxValueValidator(1.0)],
        help_text=_(
            "Between 0.5 and 1. Without a threshold set above, the lowest threshold at which "
            "this share of the requests routed automatically got the right topic, as measured "
            "on past requests when the model was trained."
        ),
    )

    class Meta:
        verbose_name = _("triage settings")
        verbose_name_plural = _("triage settings")

    def __str__(self) -> str:
        return str(_("Triage settings"))


def reviewed_q() -> models.Q:
    """Predictions an agent stood behind or corrected (see the module docstring)."""
    changed = models.Q(case__topic__isnull=False) & (
        models.Q(topic__isnull=True) | ~models.Q(case__topic=models.F("topic"))
    )
    return (
        models.Q(case__resolved_at__isnull=False)
        | models.Q(case__closed_at__isnull=False)
        | changed
    )


def confirmed_q() -> models.Q:
    """Reviewed predictions whose topic the request kept."""
    return reviewed_q() & models.Q(topic__isnull=False, case__topic=models.F("topic"))


class PredictionQuerySet(models.QuerySet["Prediction"]):
    def reviewed(self) -> PredictionQuerySet:
        return self.filter(reviewed_q())

    def confirmed(self) -> PredictionQuerySet:
        return self.filter(confirmed_q())


class Prediction(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="predictions",
    )
    message = models.ForeignKey(
        "conversations.Message",
        verbose_name=_("message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    model_name = models.CharField(_("model"), max_length=100)
    model_version = models.CharField(_("model version"), max_length=40, blank=True)
    topic = models.ForeignKey(
        "organizations.Topic",
        verbose_name=_("predicted topic"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("predicted department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confidence = models.FloatField(_("confidence"), default=0.0)
    auto_routed = models.BooleanField(
        _("routed automatically"),
        default=False,
        help_text=_("False: sent to the triage queue (or no topic was recognised)."),
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, default="normal")
    aggressive = models.BooleanField(_("aggressive tone"), default=False)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    objects = PredictionQuerySet.as_manager()

    class Meta:
        verbose_name = _("triage prediction")
        verbose_name_plural = _("triage predictions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return f"{self.model_name} {self.confidence:.2f}"

    @property
    def is_reviewed(self) -> bool:
        case = self.case
        changed = case.topic_id is not None and case.topic_id != self.topic_id
        return bool(case.resolved_at or case.closed_at or changed)

    @property
    def is_confirmed(self) -> bool:
        return self.is_reviewed and self.case.topic_id == self.topic_id

    @property
    def final_topic_id(self) -> int | None:
        """The case's topic once reviewed; None while no agent has stood behind an answer."""
        return self.case.topic_id if self.is_reviewed else None

    @property
    def final_department_id(self) -> int | None:
        return self.case.department_id if self.is_reviewed else None
