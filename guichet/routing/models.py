"""Routing data: queues, agent skills, capacities and presence, and the routing work items.

The pure engine (`guichet.routing.assignment`) decides; these rows are what it is fed with
(`guichet.routing.context`) and what its decisions change (`guichet.routing.actions`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.scopes import DepartmentScopedQuerySet, OrganizationScopedQuerySet
from guichet.routing.assignment import MAX_PROFICIENCY, MIN_PROFICIENCY


class WorkChannel(models.TextChoices):
    """What an agent's capacity is counted in. Written channels that wait for an answer (email,
    portal, SMS, letters...) count as "email"; the web chat as "chat"; calls and callbacks as
    "phone"."""

    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Written (email, forms, SMS...)")


# Case channel (conversations.Channel) -> work channel; anything else is written work.
CHANNEL_WORK = {"phone": WorkChannel.PHONE, "chat": WorkChannel.CHAT}

# Items at once per channel when neither the agent nor the organization says otherwise.
DEFAULT_CAPACITY: dict[str, int] = {
    WorkChannel.PHONE: 1,
    WorkChannel.CHAT: 3,
    WorkChannel.EMAIL: 8,
}


def work_channel(channel: str) -> str:
    """The work channel a case channel is counted in ("portal" -> "email")."""
    if channel in WorkChannel.values:
        return channel
    return CHANNEL_WORK.get(channel, WorkChannel.EMAIL)


class PushMode(models.TextChoices):
    OFFER = "offer", _("Offer to an agent, who accepts or declines")
    ASSIGN = "assign", _("Assign directly to the best agent")
    PULL_ONLY = "pull", _("No push: agents take the next item themselves")


class RoutingSettings(models.Model):
    """How an organization routes work to its agents (one row; defaults apply without it)."""

    organization = models.OneToOneField(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="routing_settings",
    )
    push_mode = models.CharField(
        _("push mode"), max_length=10, choices=PushMode.choices, default=PushMode.OFFER
    )
    offer_timeout_seconds = models.PositiveIntegerField(
        _("offer timeout (seconds)"),
        default=60,
        validators=[MinValueValidator(10)],
        help_text=_("An offer not accepted within this time goes to the next agent."),
    )
    presence_timeout_seconds = models.PositiveIntegerField(
        _("presence timeout (seconds)"),
        default=120,
        validators=[MinValueValidator(30)],
        help_text=_("An agent whose desk has not answered for this long is set offline."),
    )
    require_topic_skill = models.BooleanField(
        _("require the topic skill"),
        default=True,
        help_text=_("Only agents with a skill for the request's topic receive it."),
    )
    relax_after_minutes = models.PositiveIntegerField(
        _("relax the topic skill after (minutes)"),
        null=True,
        blank=True,
        help_text=_("After this wait, any agent of the department may receive the item."),
    )
    phone_capacity = models.PositiveSmallIntegerField(
        _("calls at once"), default=DEFAULT_CAPACITY[WorkChannel.PHONE]
    )
    chat_capacity = models.PositiveSmallIntegerField(
        _("chats at once"), default=DEFAULT_CAPACITY[WorkChannel.CHAT]
    )
    email_capacity = models.PositiveSmallIntegerField(
        _("written requests at once"), default=DEFAULT_CAPACITY[WorkChannel.EMAIL]
    )

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self) -> str:
        return str(_("Routing settings"))

    def default_capacity(self) -> dict[str, int]:
        return {
            WorkChannel.PHONE: self.phone_capacity,
            WorkChannel.CHAT: self.chat_capacity,
            WorkChannel.EMAIL: self.email_capacity,
        }


class Queue(models.Model):
    """A department's waiting line, optionally for one channel only (e.g. État civil — phone)."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="queues",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="queues",
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=WorkChannel.choices,
        blank=True,
        help_text=_("Leave empty for a queue that takes every channel."),
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    overflow_department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("overflow to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Agents of this department may take the queue's items after the delay below."),
    )
    overflow_after_minutes = models.PositiveIntegerField(
        _("overflow after (minutes)"),
        null=True,
        blank=True,
        help_text=_("How long an item waits before agents of the overflow department may take it."),
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "channel"], name="one_queue_per_department_channel"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.department_id and self.department.organization_id != self.organization_id:
            errors["department"] = _("Choose a department of this organization.")
        overflow = self.overflow_department
        if overflow is not None and overflow.organization_id != self.organization_id:
            errors["overflow_department"] = _("Choose a department of this organization.")
        elif overflow is not None and overflow.pk == self.department_id:
            errors["overflow_department"] = _("Choose another department than the queue's own.")
        if (overflow is None) != (self.overflow_after_minutes is None):
            errors["overflow_after_minutes"] = _(
                "Set both the overflow department and its delay, or neither."
            )
        if errors:
            raise ValidationError(errors)


def _check_member(organization_id: int | None, agent_id: int | None) -> None:
    from guichet.organizations.models import Membership

    if organization_id is None or agent_id is None:
        return
    if not Membership.objects.filter(organization_id=organization_id, user_id=agent_id).exists():
        raise ValidationError({"agent": _("Choose a member of this organization.")})


class SkillKind(models.TextChoices):
    TOPIC = "topic", _("Topic")
    LANGUAGE = "language", _("Language")
    CHANNEL = "channel", _("Channel")
    OTHER = "other", _("Other")


class AgentSkill(models.Model):
    """What an agent knows, 1 (basic) to 5 (expert): a topic, a language, a channel..."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="routing_skills",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SkillKind.choices)
    value = models.CharField(
        _("value"),
        max_length=60,
        help_text=_("A topic's short name, a language code (fr, en), a channel (phone)..."),
    )
    proficiency = models.PositiveSmallIntegerField(
        _("proficiency"),
        default=3,
        validators=[MinValueValidator(MIN_PROFICIENCY), MaxValueValidator(MAX_PROFICIENCY)],
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        ordering = ["agent", "kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agent", "kind", "value"], name="one_skill_per_agent"
            ),
            models.CheckConstraint(
                condition=Q(proficiency__gte=MIN_PROFICIENCY, proficiency__lte=MAX_PROFICIENCY),
                name="skill_proficiency_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.name} ({self.proficiency})"

    def clean(self) -> None:
        _check_member(self.organization_id, self.agent_id)

    @property
    def name(self) -> str:
        """The engine's skill name: "topic:etat-civil"."""
        kind = "" if self.kind == SkillKind.OTHER else f"{self.kind}:"
        return f"{kind}{self.value}"


class AgentCapacity(models.Model):
    """How many items of one channel an agent handles at once (overrides the organization's)."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="routing_capacities",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=WorkChannel.choices)
    capacity = models.PositiveSmallIntegerField(
        _("items at once"), validators=[MaxValueValidator(50)]
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("agent capacity")
        verbose_name_plural = _("agent capacities")
        ordering = ["agent", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agent", "channel"], name="one_capacity_per_agent_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.get_channel_display()}: {self.capacity}"

    def clean(self) -> None:
        _check_member(self.organization_id, self.agent_id)


class PresenceState(models.TextChoices):
    # Same values as the engine's `assignment.Presence`.
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    ON_BREAK = "on_break", _("On a break")
    OFFLINE = "offline", _("Offline")


class AgentPresence(models.Model):
    """An agent's presence in one organization, kept alive by the desk's heartbeat.

    Also the agent's routing lock row: every transaction that gives the agent work locks this row
    first (after the item), so two processes never both fill the agent's last free slot."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="routing_presences",
    )
    state = models.CharField(
        _("presence"), max_length=10, choices=PresenceState.choices, default=PresenceState.OFFLINE
    )
    state_since = models.DateTimeField(_("since"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    last_assignment_end = models.DateTimeField(_("last item finished"), null=True, blank=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("agent presence")
        verbose_name_plural = _("agent presences")
        constraints = [
            models.UniqueConstraint(fields=["organization", "agent"], name="one_presence_per_org")
        ]
        indexes = [models.Index(fields=["organization", "state"])]

    def __str__(self) -> str:
        return f"{self.agent}: {self.get_state_display()}"


class ItemKind(models.TextChoices):
    CASE = "case", _("Request")
    CALLBACK = "callback", _("Callback")


class ItemState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered")
    ASSIGNED = "assigned", _("Assigned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = (ItemState.WAITING, ItemState.OFFERED, ItemState.ASSIGNED)
# States that take a slot of the agent's capacity.
LOAD_STATES = (ItemState.OFFERED, ItemState.ASSIGNED)


class RoutingItemQuerySet(DepartmentScopedQuerySet["RoutingItem"]):
    """Supervisors see the organization's items, agents their departments' and their own."""

    assignee_field = "agent"

    def open(self) -> RoutingItemQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def waiting(self) -> RoutingItemQuerySet:
        return self.filter(state=ItemState.WAITING)


class RoutingItem(models.Model):
    """One routable piece of work (a request or a callback) on its way to an agent."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_items",
    )
    # The callback's id (guichet.callbacks); a plain integer so routing does not depend on it.
    callback_id = models.PositiveIntegerField(_("callback"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=WorkChannel.choices)
    topic = models.CharField(_("topic"), max_length=60, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # skill name -> minimum proficiency (0: the policy's minimum), e.g. {"channel:phone": 0}
    skills = models.JSONField(_("required skills"), default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=2)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    preferred_agent_id = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ItemState.choices, default=ItemState.WAITING
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routing_items",
    )
    attempts = models.PositiveSmallIntegerField(_("offers made"), default=0)
    # agents who declined the item or let the offer expire (see context.DECLINE_MEMORY)
    declined_by = models.JSONField(default=list, blank=True)
    last_declined_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), default=timezone.now)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Bumped on every change: a supervisor's move made on a stale view is refused.
    version = models.PositiveIntegerField(default=1)

    objects = RoutingItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("routing item")
        verbose_name_plural = _("routing items")
        ordering = ["-priority", "waiting_since", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(state__in=["waiting", "offered", "assigned"], kind="case"),
                name="one_open_item_per_case",
            ),
            models.UniqueConstraint(
                fields=["organization", "callback_id"],
                condition=Q(state__in=["waiting", "offered", "assigned"], kind="callback"),
                name="one_open_item_per_callback",
            ),
            models.CheckConstraint(
                condition=Q(kind="case", case__isnull=False)
                | Q(kind="callback", callback_id__isnull=False),
                name="item_has_its_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state"]),
            models.Index(fields=["agent", "state"]),
            models.Index(fields=["state", "offer_expires_at"]),
        ]

    def __str__(self) -> str:
        subject = f"#{self.case_id}" if self.kind == ItemKind.CASE else f"#{self.callback_id}"
        return f"{self.get_kind_display()} {subject} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES
