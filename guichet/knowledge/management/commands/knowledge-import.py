"""`guichet knowledge-import FILE`: articles, FAQ entries and templates from a JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from guichet.knowledge.actions import import_rows, iter_jsonl, shared_library
from guichet.organizations.models import Organization

DEFAULT_LIBRARY = "bibliotheque-commune"
# Errors listed one by one up to this number; the rest are counted.
MAX_LISTED_ERRORS = 50


class Command(BaseCommand):
    help = (
        "Import knowledge from a JSONL file, one JSON object a line: articles (id, title, text, "
        "optional summary/description, audience, url, attribution, topics, theme, valid_from, "
        "valid_until), FAQ entries (id, question, answer) or reply templates (kind: template, id, "
        "name, body). Importing the same file again updates the items with the same id. Bad lines "
        "are reported with their number; the others are imported. See docs/knowledge.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSONL file.")
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--organization", metavar="SLUG", help="Import into this organization.")
        owner.add_argument(
            "--shared",
            action="store_true",
            help="Import into a shared library read by other organizations.",
        )
        parser.add_argument(
            "--library",
            metavar="SLUG",
            default=DEFAULT_LIBRARY,
            help=f"With --shared: the library (created, shared with all, if new; default "
            f"{DEFAULT_LIBRARY}).",
        )
        parser.add_argument(
            "--limit", type=int, metavar="N", help="Import only the first N lines of the file."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        limit: int | None = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError(f"--limit must be 1 or more (got {limit}).")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot be read as UTF-8 text ({exc}).") from None
        if limit is not None:
            lines = lines[:limit]
        organization = None
        library = None
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organization {options['organization']!r}.")
        else:
            library = shared_library(options["library"])
        rows = tqdm(
            iter_jsonl(lines),
            total=len(lines),
            unit=" lines",
            file=self.stderr._out,
            disable=options["verbosity"] < 1,
        )
        report = import_rows(rows, organization=organization, library=library)
        target = organization.slug if organization else f"library {library.slug if library else ''}"
        for line, message in report.errors[:MAX_LISTED_ERRORS]:
            self.stderr.write(f"{path}:{line}: {message}")
        if len(report.errors) > MAX_LISTED_ERRORS:
            self.stderr.write(f"... and {len(report.errors) - MAX_LISTED_ERRORS} more errors.")
        self.stdout.write(
            f"{report.created} created, {report.updated} updated in {target}; "
            f"{len(report.errors)} lines with errors."
        )
        if report.errors and not report.imported:
            raise CommandError("Nothing was imported.")
