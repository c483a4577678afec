"""`guichet ingest-email PATH...`: import .eml files, mboxes or maildirs through the inbound pipeline."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from guichet.channels.base import InboundMessage
from guichet.channels.email.parser import EmailParseError, parse_email
from guichet.channels.email.sources import EmailSourceError, count_email_sources, iter_email_sources
from guichet.intake.models import RecordStatus
from guichet.intake.pipeline import Reception, ingest_batch
from guichet.organizations.models import Organization
from guichet.organizations.queries import RecipientDirectory

# Below this many messages no progress bar is drawn: the per-message lines say enough.
PROGRESS_THRESHOLD = 20
# Messages per transaction through the pipeline (see guichet.intake.pipeline.ingest_batch).
BATCH_SIZE = 100


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
        # Consecutive messages for one organization go through the pipeline in batches (one
        # transaction each, a savepoint per message); lines are printed in the input order.
        pending: list[tuple[str, InboundMessage]] = []
        pending_organization: Organization | None = None

        def flush() -> None:
            if pending and pending_organization is not None:
                receptions = ingest_batch(pending_organization, [i for _, i in pending])
                for (label, _), reception in zip(pending, receptions, strict=True):
                    bar.write(self._describe(label, reception, counts), file=self.stdout._out)
                    bar.update(1)
            pending.clear()

        with bar:
            for source in sources:
                counts["total"] += 1
                try:
                    inbound = parse_email(source.raw)
                except EmailParseError as exc:
                    flush()
                    counts["error"] += 1
                    bar.write(f"{source.label}: not an email ({exc})", file=self.stdout._out)
                    bar.update(1)
                    continue
                organization = self.fixed or directory.find(inbound.recipients)
                if organization is None:
                    flush()
                    counts["error"] += 1
                    addresses = ", ".join(inbound.recipients) or "these addresses"
                    bar.write(
                        f"{source.label}: no organization receives mail at {addresses}"
                        " (use --organization)",
                        file=self.stdout._out,
                    )
                    bar.update(1)
                    continue
                if organization != pending_organization or len(pending) >= BATCH_SIZE:
                    flush()
                    pending_organization = organization
                pending.append((source.label, inbound))
            flush()
        return counts

    def _describe(self, label: str, reception: Reception, counts: Counter[str]) -> str:
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
