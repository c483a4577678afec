"""Knowledge: articles, FAQ entries and reply templates.

Each item belongs to exactly one owner: an organization (its private content) or a shared
`Library` (content shared with every organization, or with the member organizations of a
shared-service setup, which read it but do not edit it). `available_to(organization_id)` is the one
scope that says what an organization's agents, suggestions and portal assistant may use.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core.scopes import access_scope
from guichet.knowledge.variables import VARIABLE_HELP, check_template


class Audience(models.TextChoices):
    EVERYONE = "tous", _("Everyone")
    INDIVIDUALS = "particuliers", _("Individuals")
    PROFESSIONALS = "professionnels", _("Professionals")
    ASSOCIATIONS = "associations", _("Associations")
    AGENTS = "agents", _("Agents only")


class Library(models.Model):
    """Content shared by several organizations (a national guide, a shared-service centre's
    answers). Managed by the platform; member organizations read it."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    shared_with_all = models.BooleanField(
        _("shared with every organization"),
        default=False,
        help_text=_("Otherwise only the organizations chosen below read it."),
    )
    organizations = models.ManyToManyField(
        "organizations.Organization",
        verbose_name=_("member organizations"),
        related_name="knowledge_libraries",
        blank=True,
    )

    class Meta:
        verbose_name = _("shared library")
        verbose_name_plural = _("shared libraries")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def libraries_of(organization_id: int) -> models.QuerySet[Library]:
    return Library.objects.filter(
        models.Q(shared_with_all=True) | models.Q(organizations__pk=organization_id)
    )


class KnowledgeQuerySet(models.QuerySet[Any]):
    def available_to(self, organization_id: int) -> KnowledgeQuerySet:
        """The organization's own items and those of the libraries shared with it."""
        shared = libraries_of(organization_id).values("pk")
        return self.filter(
            models.Q(organization_id=organization_id) | models.Q(library_id__in=shared)
        )

    def visible_to(self, user: Any) -> KnowledgeQuerySet:
        scope = access_scope(user)
        if scope.is_platform_admin:
            return self.all()
        shared = Library.objects.filter(
            models.Q(shared_with_all=True)
            | models.Q(organizations__pk__in=scope.member_organization_ids)
        ).values("pk")
        return self.filter(
            models.Q(organization_id__in=scope.member_organization_ids)
            | models.Q(library_id__in=shared)
        )

    def current(self, today: Any = None) -> KnowledgeQuerySet:
        """Within their validity dates (items without dates are always valid)."""
        today = today or timezone.localdate()
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=today),
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=today),
        )


class KnowledgeItem(models.Model):
    """What articles, FAQ entries and templates share: their owner, topics and dates."""

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    library = models.ForeignKey(
        Library,
        verbose_name=_("shared library"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    source_id = models.CharField(
        _("identifier in the source"),
        max_length=200,
        blank=True,
        help_text=_("Set by imports: importing the same file again updates the same items."),
    )
    topics = models.ManyToManyField(
        "organizations.Topic", verbose_name=_("topics"), related_name="+", blank=True
    )
    theme = models.CharField(
        _("theme"),
        max_length=200,
        blank=True,
        help_text=_("A free label grouping items (used for shared content, which has no topics)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = KnowledgeQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def owner_label(self) -> str:
        return str(self.library or self.organization or "")

    def clean(self) -> None:
        if (self.organization_id is None) == (self.library_id is None):
            raise ValidationError(_("Choose either an organization or a shared library."))


def _owner_constraints(name: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=(
                models.Q(organization__isnull=False, library__isnull=True)
                | models.Q(organization__isnull=True, library__isnull=False)
            ),
            name=f"{name}_one_owner",
        ),
        models.UniqueConstraint(
            fields=["organization", "source_id"],
            condition=~models.Q(source_id=""),
            name=f"{name}_source_per_org",
        ),
        models.UniqueConstraint(
            fields=["library", "source_id"],
            condition=~models.Q(source_id=""),
            name=f"{name}_source_per_library",
        ),
    ]


class Article(KnowledgeItem):
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("text"))
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    source_url = models.URLField(_("source address"), max_length=500, blank=True)
    attribution = models.CharField(
        _("attribution"),
        max_length=300,
        blank=True,
        help_text=_("Shown with the article, e.g. the source and its licence."),
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["title", "pk"]
        constraints = _owner_constraints("article")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end of validity is before its start.")})


class FaqEntry(KnowledgeItem):
    question = models.CharField(_("question"), max_length=500)
    answer = models.TextField(_("answer"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["question", "pk"]
        constraints = _owner_constraints("faq")

    def __str__(self) -> str:
        return self.question


class ReplyTemplate(KnowledgeItem):
    name = models.CharField(_("name"), max_length=200)
    body = models.TextField(_("text"), help_text=VARIABLE_HELP)
    is_active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["name", "pk"]
        constraints = _owner_constraints("template")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors = check_template(self.body)
        if errors:
            raise ValidationError({"body": errors})
