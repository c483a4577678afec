"""`guichet sla-preset marianne --organization villebois`: add the Marianne SLA policies.

Référentiel Marianne: emails and web forms answered within 5 working days, letters within 15, the
phone picked up within 20 seconds. Policies the organization already has (by name) are kept as
they are, so the command can run again after they were edited.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.organizations.models import Organization
from guichet.sla.actions import MARIANNE_PRESET, do_apply_marianne_preset


class Command(BaseCommand):
    help = "Add a preset of SLA policies (marianne) to an organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("preset", choices=[MARIANNE_PRESET])
        parser.add_argument(
            "--organization", metavar="SLUG", help="Optional when only one organization exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organization"]
        if slug:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(f"No organization with the short name {slug!r}.")
        else:
            organizations = list(Organization.objects.all()[:2])
            if len(organizations) != 1:
                raise CommandError("Several organizations (or none): give --organization SLUG.")
            organization = organizations[0]
        created = do_apply_marianne_preset(organization)
        for policy in created:
            self.stdout.write(f"created: {policy.name} ({policy.amount} {policy.unit})")
        self.stdout.write(
            f"{len(created)} policies created for {organization.slug}"
            + ("" if created else " (all already present)")
        )
