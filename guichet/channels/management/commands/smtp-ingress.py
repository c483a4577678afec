"""`guichet smtp-ingress [--host 127.0.0.1] [--port 2525]`: receive mail relayed by the site's
mail server (see guichet/channels/email/smtp_ingress.py). Runs until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.channels.email.smtp_ingress import make_controller


class Command(BaseCommand):
    help = (
        "Receive email over SMTP for the organizations' and departments' addresses (for a mail "
        "server that forwards to Guichet). Other recipients are refused with 550."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=2525, help="Port (default 2525).")
        parser.add_argument(
            "--max-size",
            type=int,
            default=None,
            metavar="BYTES",
            help="Largest message accepted (default: GUICHET_INBOUND_MAX_BYTES).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        max_bytes = options["max_size"] or settings.GUICHET_INBOUND_MAX_BYTES
        controller = make_controller(options["host"], options["port"], max_bytes=max_bytes)
        try:
            controller.start()
        except (OSError, RuntimeError) as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from None
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(
            f"SMTP ingress listening on {options['host']}:{options['port']} "
            f"(messages up to {max_bytes} bytes; Ctrl-C to stop)"
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            controller.stop()
        self.stdout.write("Stopped.")
