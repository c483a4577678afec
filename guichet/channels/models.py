"""Channel accounts: where Guichet receives and sends on behalf of an organization (a mailbox...).

Credentials live here, encrypted at rest, never on a queue, a task argument or a log line.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.crypto import EncryptedTextField
from guichet.core.scopes import OrganizationScopedQuerySet


class AccountKind(models.TextChoices):
    IMAP = "imap", _("IMAP mailbox (polled)")


class ChannelAccount(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="channel_accounts",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="channel_accounts",
        help_text=_("Mail received here goes to this department unless its topic says otherwise."),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=AccountKind.choices, default=AccountKind.IMAP
    )
    address = models.EmailField(_("address of the mailbox"))
    host = models.CharField(_("server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    use_ssl = models.BooleanField(_("TLS from the start (IMAPS)"), default=True)
    use_starttls = models.BooleanField(_("STARTTLS"), default=False)
    username = models.CharField(_("user name"), max_length=255)
    password = EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder to read"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("folder for processed mail"),
        max_length=255,
        blank=True,
        help_text=_("Processed mail is moved there; leave empty to leave it in place, flagged."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Polling state: the folder's UIDVALIDITY and the highest UID already handed to the pipeline.
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    # Poll lease: one poller at a time reads the mailbox (the periodic job, `mailboxes watch`, the
    # admin's "Poll now"); taken and renewed by a conditional UPDATE, see `email/leases.py`.
    poll_lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    poll_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="channel_account_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class UnroutedMail(models.Model):
    """Mail that reached a provider webhook addressed to no organization (or a payload nobody could
    read). It belongs to no organization, so only platform operators see it; its bytes are in the
    file storage (`storage_name`, with a `.note.json` beside it), kept
    `GUICHET_UNROUTED_RETENTION_DAYS` days, and it can be routed again once the address it was
    sent to is given to an organization."""

    provider = models.CharField(_("provider"), max_length=40)
    storage_name = models.CharField(_("file"), max_length=255, unique=True)
    reason = models.TextField(_("reason"))
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("mail for no organization")
        verbose_name_plural = _("mail for no organization")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.storage_name}"
