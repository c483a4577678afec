"""`guichet apitoken create|list|revoke`: API tokens for integrations.

    guichet apitoken create "Passerelle SMS" --organization villebois
    guichet apitoken list [--organization villebois]
    guichet apitoken revoke "Passerelle SMS" --organization villebois

`create` prints the token alone on stdout (so `TOKEN=$(guichet apitoken create ...)` works) and a
reminder on stderr: the plain token is shown once, only its hash is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.audit.actions import record_audit
from guichet.organizations.models import TOKEN_PREFIX, ApiToken, Organization

ACTOR_LABEL = "command line"


class Command(BaseCommand):
    help = "Create, list and revoke API tokens of an organization."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{create,list,revoke}")
        actions.required = True

        create = actions.add_parser("create", help="Create a token and print it once.")
        create.add_argument("name", help="What the token is for, e.g. 'SMS gateway'.")
        create.add_argument(
            "--organization", metavar="SLUG", help="Optional when only one organization exists."
        )

        listing = actions.add_parser("list", help="List tokens (never their secret).")
        listing.add_argument(
            "--organization", metavar="SLUG", help="Only this organization (default: all)."
        )

        revoke = actions.add_parser("revoke", help="Revoke a token: it stops working at once.")
        revoke.add_argument("name", help="The token's name.")
        revoke.add_argument(
            "--organization", metavar="SLUG", help="Optional when only one organization exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self.create(options["name"], options.get("organization"))
        elif action == "list":
            self.list(options.get("organization"))
        elif action == "revoke":
            self.revoke(options["name"], options.get("organization"))
        else:  # pragma: no cover — argparse only lets the three actions through
            raise CommandError(f"Unknown action {action!r}.")

    # -----------------------------------------------------------------------------------------

    def organization(self, slug: str | None) -> Organization:
        slugs = list(Organization.objects.order_by("slug").values_list("slug", flat=True))
        if not slugs:
            raise CommandError("No organization exists yet: create one first (in the admin).")
        if slug is None:
            if len(slugs) > 1:
                raise CommandError(
                    "Several organizations exist; choose one with --organization: "
                    + ", ".join(slugs)
                )
            slug = slugs[0]
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(
                f"No organization with the short name {slug!r}; known: " + ", ".join(slugs)
            )
        return organization

    def create(self, name: str, slug: str | None) -> None:
        name = name.strip()
        if not name:
            raise CommandError("The token needs a name, e.g. 'SMS gateway'.")
        max_length = ApiToken._meta.get_field("name").max_length or 100
        if len(name) > max_length:
            raise CommandError(f"The name is too long: at most {max_length} characters.")
        organization = self.organization(slug)
        duplicate = (
            f"A token named {name!r} already exists for {organization.slug!r} (revoked tokens keep"
            " their name); choose another name."
        )
        if ApiToken.objects.filter(organization=organization, name=name).exists():
            raise CommandError(duplicate)
        try:
            with transaction.atomic():
                token, plain = ApiToken.issue(organization, name)
                record_audit(
                    "apitoken.created", token, actor_label=ACTOR_LABEL, data={"name": name}
                )
        except IntegrityError:
            raise CommandError(duplicate) from None
        self.stdout.write(plain)
        self.stderr.write(
            f"Token {name!r} created for {organization.name} ({organization.slug}). Copy it now:"
            " it is not stored and will not be shown again.\n"
            f"Use it as the header 'Authorization: Bearer {TOKEN_PREFIX}_…'."
        )

    def list(self, slug: str | None) -> None:
        tokens = ApiToken.objects.select_related("organization").order_by(
            "organization__slug", "name"
        )
        if slug is not None:
            tokens = tokens.filter(organization=self.organization(slug))
        rows = [
            (
                token.organization.slug,
                token.name,
                f"{TOKEN_PREFIX}_{token.key_id}_…",
                _when(token.created_at),
                _when(token.last_used_at) if token.last_used_at else "never",
                f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active",
            )
            for token in tokens
        ]
        if not rows:
            self.stderr.write("No API tokens.")
            return
        header = ("ORGANIZATION", "NAME", "TOKEN", "CREATED", "LAST USED", "STATUS")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )

    def revoke(self, name: str, slug: str | None) -> None:
        organization = self.organization(slug)
        token = ApiToken.objects.filter(organization=organization, name=name.strip()).first()
        if token is None:
            known = ", ".join(
                repr(n)
                for n in ApiToken.objects.filter(organization=organization)
                .order_by("name")
                .values_list("name", flat=True)
            )
            raise CommandError(
                f"No token named {name!r} in {organization.slug!r}; its tokens: {known or 'none'}."
            )
        if token.revoked_at is not None:
            raise CommandError(
                f"The token {token.name!r} was already revoked on {_when(token.revoked_at)}."
            )
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record_audit(
                "apitoken.revoked", token, actor_label=ACTOR_LABEL, data={"name": token.name}
            )
        self.stdout.write(
            f"Token {token.name!r} of {organization.slug!r} revoked: it no longer works."
        )


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
