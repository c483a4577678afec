"""`guichet ingest-email PATH...`: import .eml files, mboxes or maildirs through the inbound pipeline."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from guichet.channels.email.parser import EmailParseError, parse_email
from guichet.channels.email.sources import EmailSourceError, count_email_sources, iter_email_sources
from guichet.intake.models import RecordStatus
from guichet.intake.pipeline import receive
from guichet.organizations.models import Organization
from guichet.organizations.queries import RecipientDirectory

# Below this many messages no progress bar is drawn: the per-message lines say enough.
PROGRESS_THRESHOLD = 20


class Command(BaseCommand):
    help = (
        "Import email from .eml files, mbox files or maildirs: each message goes through the inbound "
        "pipeline and the case reference it landed in is printed. Importing again creates nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help=".eml files, mbox files, maildirs or folders")
        parser.add_argument(
            "--organization",
            help="Slug of the receiving organization (default: found from the recipient addresses).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Never draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.fixed: Organization | None = None
        if options["organization"]:
            self.fixed = Organization.objects.filter(slug=options["organization"]).first()
            if self.fixed is None:
                slugs = ", ".join(Organization.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(
                    f"unknown organization {options['organization']!r} (known: {slugs})"
                )
        directory = RecipientDirectory()
        try:
            total = count_email_sources(options["paths"])
            sources = iter_email_sources(options["paths"])
            counts = self._ingest(sources, total, directory, show_bar=not options["no_progress"])
        except EmailSourceError as exc:
            raise CommandError(str(exc)) from exc
        kinds = ("new", "reply", "delivery report", "duplicate", "kept aside", "error")
        summary = ", ".join(f"{counts[k]} {k}" for k in kinds)
        self.stdout.write(f"{counts['total']} messages: {summary}")
        if counts["error"] or counts["kept aside"]:
            sys.exit(1)

    def _ingest(
        self, sources: Any, total: int, directory: RecipientDirectory, *, show_bar: bool
    ) -> Counter[str]:
        counts: Counter[str] = Counter()
        bar = tqdm(
            total=total,
            unit="msg",
            file=sys.stderr,
            disable=not show_bar or total < PROGRESS_THRESHOLD,
            dynamic_ncols=True,
        )
        with bar:
            for source in sources:
                counts["total"] += 1
                line = self._ingest_one(source.label, source.raw, directory, counts)
                bar.write(line, file=self.stdout._out)
                bar.update(1)
        return counts

    def _ingest_one(
        self, label: str, raw: bytes, directory: RecipientDirectory, counts: Counter[str]
    ) -> str:
        try:
            inbound = parse_email(raw)
        except EmailParseError as exc:
            counts["error"] += 1
            return f"{label}: not an email ({exc})"
        organization = self.fixed or directory.find(inbound.recipients)
        if organization is None:
            counts["error"] += 1
            return (
                f"{label}: no organization receives mail at "
                f"{', '.join(inbound.recipients) or 'these addresses'} (use --organization)"
            )
        reception = receive(organization, inbound)
        record = reception.record
        report = next((s for s in record.steps if s.get("step") == "delivery report"), None)
        if report is not None and not reception.duplicate:
            counts["delivery report"] += 1
            where = reception.reference or "a message Guichet did not send"
            return f"{label} -> delivery report ({report.get('action')}) about {where}"
        if reception.case is None and record.status != RecordStatus.PROCESSED:
            counts["kept aside"] += 1
            return f"{label}: kept aside at step {record.failed_step or '?'}: {record.error.splitlines()[0] if record.error else ''}"
        if reception.duplicate:
            counts["duplicate"] += 1
            return f"{label} -> {reception.reference} (already imported)"
        thread: dict[str, Any] = next((s for s in record.steps if s.get("step") == "thread"), {})
        if thread.get("new_case"):
            counts["new"] += 1
            return f"{label} -> {reception.reference} (new request)"
        counts["reply"] += 1
        return f"{label} -> {reception.reference} (added to the request)"
