"""`guichet demo`: fill an empty database with a plausible French town's day of work."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from guichet.demo.builder import DemoBuilder, DemoError, describe_data, describe_logins
from guichet.organizations.models import Organization

MAX_CASES = 5000
DEMO_SLUG = "villebois"


class _Unterminated:
    """The command's stderr as tqdm wants it: writes without an added line ending."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper
        # tqdm draws a smooth bar when the terminal takes UTF-8, "###" otherwise.
        self.encoding = getattr(sys.stderr, "encoding", None) or "ascii"

    def write(self, text: str) -> None:
        # Plain text: the command's stderr would colour everything as an error.
        self.wrapper.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()


class Command(BaseCommand):
    help = (
        "Create demo data: the town of Villebois (7 departments, 18 topics, agents in each "
        "department) and a second organization, with a few hundred requests received over the last "
        "two months through the real inbound pipeline and handled by the agents. Only on an empty "
        "database. Prints the demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and say so) when the database already has an organization.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2026,
            help="Random seed: the same seed gives the same requests.",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=300,
            help=f"Number of requests of the town (1 to {MAX_CASES}; default 300).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cases: int = options["cases"]
        if not 1 <= cases <= MAX_CASES:
            raise CommandError(f"--cases must be between 1 and {MAX_CASES} (got {cases}).")
        existing = Organization.objects.order_by("pk").first()
        if existing is not None:
            if options["if_empty"]:
                demo = Organization.objects.filter(slug=DEMO_SLUG).exists()
                self.stdout.write(
                    "Demo data already exists; nothing was created."
                    if demo
                    else f"The database already has organizations ({existing.slug!r}...); "
                    "no demo data was added."
                )
                return
            raise CommandError(
                f"The database already has organizations ({existing.slug!r}...). The demo only fills "
                "an empty database; use --if-empty to skip quietly."
            )
        progress = _Unterminated(self.stderr) if options["verbosity"] >= 1 else None
        builder = DemoBuilder(seed=options["seed"], cases=cases, progress=progress)
        try:
            report = builder.build()
        except DemoError as exc:
            raise CommandError(f"The demo could not be built, nothing was kept: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created in {report.seconds:.1f} s (seed {options['seed']})."
            )
        )
        for line in describe_data(report.organizations):
            self.stdout.write(line)
        self.stdout.write("")
        for line in describe_logins():
            self.stdout.write(line)
