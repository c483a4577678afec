from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run Guichet on one machine: the web server, a background task worker and the scheduler. "
        "Production runs these as separate services (see docs/deployment.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="Background task workers.")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        url = f"http://{options['host']}:{options['port']}"
        if "GUICHET_SITE_URL" not in os.environ:
            # Links mailed to citizens point at this server unless a public URL is configured.
            os.environ["GUICHET_SITE_URL"] = url
            settings.SITE_URL = url
        guichet = [sys.executable, "-m", "guichet.cli"]
        children = [
            subprocess.Popen([*guichet, "db_worker", "--queue-name", "*", "--interval", "0.5"])  # noqa: S603
            for _ in range(options["workers"])
        ]
        children.append(subprocess.Popen([*guichet, "scheduler"]))  # noqa: S603
        self.stdout.write(self.style.SUCCESS(f"Guichet: {url}/"))
        self.stdout.write(f"  citizen portal   {url}/")
        self.stdout.write(f"  agent desk       {url}/desk/")
        self.stdout.write(f"  administration   {url}/admin/")
        self.stdout.write(f"  API (OpenAPI)    {url}/api/v1/docs")
        self.stdout.write(f"  outgoing mail    {settings.EMAIL_FILE_PATH} (file backend)")
        self._print_demo_logins()
        try:
            uvicorn.run(
                "guichet.config.asgi:application",
                host=options["host"],
                port=options["port"],
                log_level="info",
                lifespan="off",
                # Django's LOGGING applies (it redacts tracking links from the access log).
                log_config=None,
            )
        finally:
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

    def _print_demo_logins(self) -> None:
        try:
            from guichet.demo.builder import describe_logins
        except ImportError:
            return
        for line in describe_logins():
            self.stdout.write(line)
