"""Conversations and messages across channels, with their attachments: the omnichannel timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.scopes import DepartmentScopedQuerySet


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal form")
    EMAIL = "email", _("Email")
    API = "api", _("Integration (API)")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    CHAT = "chat", _("Web chat")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    COUNTER = "counter", _("At the counter")
    REPORT = "report", _("Street-issue report")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From the citizen")
    OUTBOUND = "outbound", _("To the citizen")
    NOTE = "note", _("Internal note")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not applicable")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    PUBLISHED = "published", _("Shown on the portal")
    AWAITING_INTEGRATION = "awaiting_integration", _("Waiting for the integration to deliver it")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent (automatic sender)")


class MessageQuerySet(DepartmentScopedQuerySet["Message"]):
    department_field = "case__department"
    assignee_field = "case__assignee"

    def public(self) -> MessageQuerySet:
        """What the citizen sees of the exchange: their messages and the replies, no notes."""
        return self.exclude(direction=Direction.NOTE)


class Conversation(models.Model):
    """One thread on one channel (an email thread, the portal exchange, an SMS exchange)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="conversations"
    )
    citizen = models.ForeignKey(
        "citizens.Citizen",
        verbose_name=_("citizen"),
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="conversations"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    contact_value = models.CharField(
        _("citizen address on this channel"), max_length=320, blank=True
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["case", "channel"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} — {self.subject}"


class Message(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="messages"
    )
    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sender_address = models.CharField(_("sender address"), max_length=320, blank=True)
    recipient_address = models.CharField(_("recipient address"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    # For email: the history the citizen's client quoted below their new text, and their signature.
    quoted_text = models.TextField(_("quoted history"), blank=True)
    html = models.TextField(_("sanitised HTML"), blank=True)
    external_id = models.CharField(_("identifier on the channel"), max_length=300, blank=True)
    email_message_id = models.CharField(max_length=300, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    inbound_record = models.ForeignKey(
        "intake.InboundRecord",
        verbose_name=_("raw inbound record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    is_automatic = models.BooleanField(_("automatic message"), default=False)
    delivery_status = models.CharField(
        _("delivery"), max_length=24, choices=DeliveryStatus.choices, blank=True, default=""
    )
    delivery_error = models.TextField(_("delivery error"), blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    # When a delivery that failed for a passing reason (server down) is tried again.
    next_delivery_at = models.DateTimeField(_("next delivery attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["case", "created_at"]),
            # The acknowledgement rate limit counts recent messages to one address.
            models.Index(fields=["organization", "recipient_address", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{instance.organization_id}/{now:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file that came with a message, stored by content hash; refused files keep a row and reason."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    inbound_record = models.ForeignKey(
        "intake.InboundRecord",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, blank=True, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    is_inline = models.BooleanField(_("inline image"), default=False)
    content_id = models.CharField(max_length=300, blank=True)
    refused_reason = models.CharField(_("refused because"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_available(self) -> bool:
        return not self.refused_reason and bool(self.file)
