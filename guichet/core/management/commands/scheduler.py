from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guichet.core.periodic import PERIODIC_JOBS


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (retries, timers) when they are due. Runs until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue every job once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        last_run: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for job in PERIODIC_JOBS:
                if options["once"] or now - last_run.get(job.name, -1e9) >= job.every_seconds:
                    job.enqueue()
                    last_run[job.name] = now
            if options["once"]:
                return
            time.sleep(1)
