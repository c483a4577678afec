"""`guichet assist-train --organization SLUG [--model fr-tfidf|fr-tfidf-e5] [--quiet]`

Train the organization's triage model on its own history, print its cross-validated quality as
JSON (per topic), and save it under GUICHET_DATA_DIR/assist/<slug>/ with a version; the pipeline
uses it from its next message (docs/assist.md, "Triage in the pipeline").
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.assist.errors import AssistError
from guichet.assist.training import (
    DEFAULT_TRAINABLE,
    TRAINABLE,
    NotEnoughHistory,
    model_dir,
    train_organization,
)
from guichet.organizations.models import Organization


class Command(BaseCommand):
    help = (
        "Train an organization's triage model on its past requests and print its "
        "cross-validated quality as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="the organization's slug")
        parser.add_argument(
            "--model",
            choices=list(TRAINABLE),
            default=DEFAULT_TRAINABLE,
            help=f"default: {DEFAULT_TRAINABLE} (a few ms a message); fr-tfidf-e5 is more "
            "accurate and slower (tens of ms)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bars on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organization"]
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no organization with the slug {slug!r}")
        try:
            meta = train_organization(organization, options["model"], progress=not options["quiet"])
        except NotEnoughHistory as exc:
            self.stdout.write(
                json.dumps({"organization": slug, "trained": False, "reason": str(exc)})
            )
            return
        except AssistError as exc:
            raise CommandError(str(exc)) from exc
        meta["trained"] = True
        meta["path"] = str(model_dir(organization))
        self.stdout.write(json.dumps(meta, ensure_ascii=False, indent=2))
