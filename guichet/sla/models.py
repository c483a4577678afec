"""SLA policies and working-day calendars, as data per organization; the SLA clock of each case."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.conversations.models import Channel
from guichet.core.scopes import OrganizationScopedQuerySet
from guichet.sla.calendar import DelayUnit


class Territory(models.TextChoices):
    """Where the public holidays differ: subdivision codes of the `holidays` package ("FR")."""

    METROPOLITAN = "", _("Metropolitan France")
    MOSELLE = "57", _("Moselle (Alsace-Moselle)")
    ALSACE = "6AE", _("Bas-Rhin and Haut-Rhin (Alsace-Moselle)")
    GUADELOUPE = "971", _("Guadeloupe")
    MARTINIQUE = "972", _("Martinique")
    GUYANE = "973", _("French Guiana")
    REUNION = "974", _("La Réunion")
    MAYOTTE = "976", _("Mayotte")


TERRITORY_TIME_ZONES = {
    "": "Europe/Paris",
    "57": "Europe/Paris",
    "6AE": "Europe/Paris",
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "976": "Indian/Mayotte",
}


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkCalendar(models.Model):
    """The working days of an organization (no department) or of one department: territory (for
    public holidays), time zone, opening hours and closures."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="work_calendars",
    )
    department = models.OneToOneField(
        "organizations.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="work_calendar",
        help_text=_("Leave empty for the organization's calendar, used by every other department."),
    )
    name = models.CharField(_("name"), max_length=100)
    territory = models.CharField(
        _("territory"), max_length=4, choices=Territory.choices, default="", blank=True
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=40,
        blank=True,
        help_text=_("Leave empty for the territory's time zone (Europe/Paris in mainland France)."),
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(department__isnull=True),
                name="one_default_calendar_per_org",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone_name(self) -> str:
        return self.time_zone or TERRITORY_TIME_ZONES.get(self.territory, "Europe/Paris")

    def clean(self) -> None:
        department = self.department
        if department is not None and department.organization_id != self.organization_id:
            raise ValidationError({"department": _("Choose a department of this organization.")})
        if self.time_zone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationError(
                    {"time_zone": _("Unknown time zone, e.g. Europe/Paris.")}
                ) from None


class OpeningHours(models.Model):
    calendar = models.ForeignKey(
        WorkCalendar, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens at"))
    closes = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.closes <= self.opens:
            raise ValidationError({"closes": _("The closing time must be after the opening time.")})


class Closure(models.Model):
    """Days the department is closed besides public holidays (summer closure, a bridge day)."""

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("first closed day"))
    ends_on = models.DateField(_("last closed day"))
    label = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return f"{self.label or _('Closure')} {self.starts_on} - {self.ends_on}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {"ends_on": _("The last closed day cannot be before the first one.")}
            )


class Target(models.TextChoices):
    ANSWER = "answer", _("Answer the request (due date of the case)")
    PICKUP = "pickup", _("Pick up (phone, chat: time waiting in the queue)")


def validate_positive_delay(value: int) -> None:
    if value is None or value <= 0:
        raise ValidationError(
            _("The delay must be greater than zero (%(value)s given)."),
            code="delay_not_positive",
            params={"value": value},
        )


class SlaPolicy(models.Model):
    """An announced delay. Narrowed by department, channel and topic: the most specific active
    policy that matches a case wins (topic, then department, then channel; docs/sla.md)."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="sla_policies",
    )
    name = models.CharField(_("name"), max_length=100)
    target = models.CharField(
        _("what is measured"), max_length=10, choices=Target.choices, default=Target.ANSWER
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    topic = models.ForeignKey(
        "organizations.Topic",
        verbose_name=_("topic"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    amount = models.IntegerField(_("delay"), validators=[validate_positive_delay])
    unit = models.CharField(
        _("unit"),
        max_length=20,
        choices=[
            (DelayUnit.WORKING_DAYS.value, _("working days")),
            (DelayUnit.WORKING_HOURS.value, _("working hours")),
            (DelayUnit.WORKING_MINUTES.value, _("working minutes")),
            (DelayUnit.SECONDS.value, _("seconds")),
        ],
        default=DelayUnit.WORKING_DAYS.value,
    )
    preset = models.CharField(_("created by the preset"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["organization", "target", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sla_delay_positive")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def specificity(self) -> int:
        return (4 if self.topic_id else 0) + (2 if self.department_id else 0) + bool(self.channel)

    def clean(self) -> None:
        errors = {}
        department, topic = self.department, self.topic
        if department is not None and department.organization_id != self.organization_id:
            errors["department"] = _("Choose a department of this organization.")
        if topic is not None and topic.organization_id != self.organization_id:
            errors["topic"] = _("Choose a topic of this organization.")
        if errors:
            raise ValidationError(errors)


class Level(models.IntegerChoices):
    ON_TIME = 0, _("on time")
    NEAR = 1, _("due soon")
    BREACHED = 2, _("late")


class CaseClock(models.Model):
    """The SLA state of one case, written only when needed (a pause, an escalation): the time
    spent waiting for the citizen and the highest escalation already signalled for a due date."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="sla_clock")
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    signalled_level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.ON_TIME)
    signalled_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")

    def __str__(self) -> str:
        return f"SLA clock of case {self.case_id}"
