"""Tenants (organizations), their departments and topics, the people who work in them, API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.colors import contrast_ratio

HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))
REFERENCE_PREFIX = RegexValidator(
    r"^[A-Z]{2,6}$", _("Use 2 to 6 capital letters without accents, e.g. VIL.")
)


def validate_readable_colour(value: str) -> None:
    """The main colour carries white text on buttons: it must reach WCAG AA contrast (4.5:1)."""
    HEX_COLOR(value)
    ratio = contrast_ratio(value, "#ffffff")
    if ratio < 4.5:
        raise ValidationError(
            _(
                "White text on this colour has a contrast of %(ratio).1f:1; at least 4.5:1 is needed."
            ),
            params={"ratio": ratio},
        )


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMINISTRATOR = "administrator", _("Administrator")


class Organization(models.Model):
    """A tenant: a town, an agency, a social-security fund. Nothing crosses organizations."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    reference_prefix = models.CharField(
        _("case reference prefix"),
        max_length=6,
        unique=True,
        validators=[REFERENCE_PREFIX],
        help_text=_("Case references look like VIL-2026-000123."),
    )
    email_address = models.EmailField(
        _("reply address"),
        blank=True,
        help_text=_("Address citizens write to and receive replies from."),
    )
    logo = models.FileField(_("logo"), upload_to="branding/", blank=True)
    primary_color = models.CharField(
        _("main colour"), max_length=7, default="#1d4ed8", validators=[validate_readable_colour]
    )
    portal_intro = models.TextField(_("portal welcome text"), blank=True)
    response_days = models.PositiveSmallIntegerField(
        _("announced response delay (working days)"), default=5
    )
    default_department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("reception department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Receives requests whose topic is unknown: no request is left without a department."
        ),
    )
    relay_senders = models.TextField(
        _("relay senders"),
        blank=True,
        help_text=_(
            "Addresses (or @domains) of services that send messages on behalf of citizens: web "
            "forms, SMS-to-email gateways. One per line. Their messages are attributed to the "
            "person named inside them."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def relay_sender_list(self) -> list[str]:
        return [line.strip().lower() for line in self.relay_senders.splitlines() if line.strip()]

    def is_relay_sender(self, address: str) -> bool:
        address = address.lower()
        return any(
            address == entry or (entry.startswith("@") and address.endswith(entry))
            for entry in self.relay_sender_list()
        )

    def clean(self) -> None:
        department = self.default_department
        if department is not None and department.organization_id != self.pk:
            raise ValidationError(
                {"default_department": _("Choose a department of this organization.")}
            )
        check_address_is_ours("email_address", self.email_address, self.pk)


def address_owner(address: str) -> int | None:
    """The organization that receives mail at `address` (its own or a department's), if any."""
    if not address:
        return None
    address = address.strip().lower()
    owner = (
        Organization.objects.filter(email_address__iexact=address)
        .values_list("pk", flat=True)
        .first()
    )
    if owner is None:
        owner = (
            Department.objects.filter(email_address__iexact=address)
            .values_list("organization_id", flat=True)
            .first()
        )
    return owner


def check_address_is_ours(field: str, address: str, organization_id: int | None) -> None:
    """An address receives mail for one organization only: another one may not claim it."""
    owner = address_owner(address)
    if owner is not None and owner != organization_id:
        raise ValidationError(
            {field: _("This address already receives mail for another organization.")}
        )


class Department(models.Model):
    """A service of the organization (État civil, Urbanisme...). For now, also its queue."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="departments",
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60)
    email_address = models.EmailField(_("department address"), blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="department_slug_per_org")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_address_is_ours("email_address", self.email_address, self.organization_id)


class Topic(models.Model):
    """What a request is about (motif), mapped to the department that handles it."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="topics",
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="topics"
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_("One keyword or phrase per line; used to recognise the topic in messages."),
    )
    is_public = models.BooleanField(
        _("offered on the portal"), default=True, help_text=_("Citizens can choose it in the form.")
    )
    response_days = models.PositiveSmallIntegerField(
        _("announced response delay (working days)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the organization's delay."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="topic_slug_per_org")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.department_id and self.department.organization_id != self.organization_id:
            raise ValidationError({"department": _("Choose a department of this organization.")})

    def keyword_list(self) -> list[str]:
        return [
            line.strip() for line in self.keywords.replace(",", "\n").splitlines() if line.strip()
        ]


class User(AbstractUser):
    """A person who signs in: agent, supervisor or administrator, through memberships."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """A user's role in one organization and the departments they work in there."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    departments = models.ManyToManyField(
        Department, verbose_name=_("departments"), related_name="memberships", blank=True
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organization} ({self.get_role_display()})"

    @property
    def sees_whole_organization(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMINISTRATOR)


TOKEN_PREFIX = "gch"  # noqa: S105 — a public prefix that makes tokens recognisable, not a secret


def hash_token_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A credential for one integration; only a hash of the secret is stored."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(_("key identifier"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="token_name_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}_{self.key_id}_…)"

    @classmethod
    def issue(cls, organization: Organization, name: str) -> tuple[ApiToken, str]:
        """Create a token and return it with its plain value, which is shown once and never stored."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(
            organization=organization,
            name=name,
            key_id=key_id,
            secret_hash=hash_token_secret(secret),
        )
        return token, f"{TOKEN_PREFIX}_{key_id}_{secret}"

    @classmethod
    def authenticate(cls, plain: str) -> ApiToken | None:
        prefix, _sep, rest = plain.partition("_")
        key_id, _sep, secret = rest.partition("_")
        if prefix != TOKEN_PREFIX or not key_id or not secret:
            return None
        token = cls.objects.active().select_related("organization").filter(key_id=key_id).first()
        if token is None or not secrets.compare_digest(
            token.secret_hash, hash_token_secret(secret)
        ):
            return None
        return token
