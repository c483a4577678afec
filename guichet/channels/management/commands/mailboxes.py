"""`guichet mailboxes list|poll|watch|test`: the live IMAP mailboxes from the command line.

    guichet mailboxes list [--organization villebois]
    guichet mailboxes poll [NAME] [--organization villebois] [--max 500]
    guichet mailboxes watch [NAME] [--organization villebois]
    guichet mailboxes test NAME [--organization villebois]

`poll` polls now (every active mailbox, or the one named, even if inactive) and prints what each
poll did; exit status 1 when a mailbox could not be polled. `watch` waits for new mail with IMAP
IDLE (polling every minute on a server without IDLE) until Ctrl-C. `test` connects and logs in.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection
from django.db.models import QuerySet
from django.utils import timezone

from guichet.channels.email.imap import (
    MailboxError,
    PollReport,
    check_account,
    poll_account,
    watch_account,
)
from guichet.channels.models import AccountKind, ChannelAccount
from guichet.organizations.models import Organization


class Command(BaseCommand):
    help = "List, poll, watch (IMAP IDLE) and test the IMAP mailboxes Guichet reads."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{list,poll,watch,test}")
        actions.required = True

        listing = actions.add_parser("list", help="List the mailboxes and their polling state.")
        listing.add_argument("--organization", metavar="SLUG", help="Only this organization.")

        poll = actions.add_parser("poll", help="Poll now and print what was fetched.")
        poll.add_argument("name", nargs="?", help="One mailbox (default: every active one).")
        poll.add_argument("--organization", metavar="SLUG", help="Only this organization.")
        poll.add_argument(
            "--max", type=int, default=None, metavar="N", help="At most N messages per mailbox."
        )

        watch = actions.add_parser("watch", help="Wait for new mail (IMAP IDLE) until Ctrl-C.")
        watch.add_argument("name", nargs="?", help="One mailbox (default: every active one).")
        watch.add_argument("--organization", metavar="SLUG", help="Only this organization.")
        watch.add_argument(
            "--interval",
            type=float,
            default=60.0,
            help="Seconds between polls on a server without IDLE (default 60).",
        )

        test = actions.add_parser("test", help="Connect, log in and open the folder.")
        test.add_argument("name", help="The mailbox's name.")
        test.add_argument("--organization", metavar="SLUG", help="Its organization.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        organization = self.organization(options.get("organization"))
        if action == "list":
            self.show_list(organization)
        elif action == "poll":
            self.poll(self.accounts(options.get("name"), organization), options["max"])
        elif action == "watch":
            self.watch(self.accounts(options.get("name"), organization), options["interval"])
        elif action == "test":
            self.test(self.accounts(options["name"], organization)[0])
        else:  # pragma: no cover — argparse only lets the four actions through
            raise CommandError(f"Unknown action {action!r}.")

    # -----------------------------------------------------------------------------------------

    def organization(self, slug: str | None) -> Organization | None:
        if slug is None:
            return None
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            known = ", ".join(Organization.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No organization with the short name {slug!r}; known: {known}")
        return organization

    def queryset(self, organization: Organization | None) -> QuerySet[ChannelAccount]:
        accounts = ChannelAccount.objects.filter(kind=AccountKind.IMAP).select_related(
            "organization", "department"
        )
        if organization is not None:
            accounts = accounts.filter(organization=organization)
        return accounts.order_by("organization__slug", "name")

    def accounts(self, name: str | None, organization: Organization | None) -> list[ChannelAccount]:
        accounts = self.queryset(organization)
        if name is None:
            active = list(accounts.filter(is_active=True))
            if not active:
                raise CommandError("No active mailbox: add one in the admin (Channel accounts).")
            return active
        named = list(accounts.filter(name=name))
        if not named:
            known = ", ".join(f"{a.name!r}" for a in accounts) or "none"
            raise CommandError(f"No mailbox named {name!r}; known: {known}")
        if len(named) > 1:
            slugs = ", ".join(a.organization.slug for a in named)
            raise CommandError(
                f"Several organizations have a mailbox named {name!r} ({slugs}): "
                "choose one with --organization"
            )
        return named

    # -----------------------------------------------------------------------------------------

    def show_list(self, organization: Organization | None) -> None:
        accounts = list(self.queryset(organization))
        if not accounts:
            self.stdout.write("No mailbox.")
            return
        for account in accounts:
            state = "active" if account.is_active else "inactive"
            polled = (
                timezone.localtime(account.last_polled_at).strftime("%Y-%m-%d %H:%M:%S")
                if account.last_polled_at
                else "never"
            )
            self.stdout.write(
                f"{account.organization.slug}/{account.name} <{account.address}> {state} "
                f"{account.username}@{account.host}:{account.port} folder={account.folder!r} "
                f"last_uid={account.last_uid} uidvalidity={account.uidvalidity or '-'} "
                f"polled={polled}"
            )
            if account.last_error:
                self.stdout.write(f"    last error: {account.last_error.splitlines()[0]}")

    def poll(self, accounts: list[ChannelAccount], limit: int | None) -> None:
        failed = False
        for account in accounts:
            report = poll_account(account, max_messages=limit)
            self.print_report(report)
            failed = failed or bool(report.error)
        if failed:
            sys.exit(1)

    def print_report(self, report: PollReport) -> None:
        if report.error:
            self.stderr.write(report.summary())
            return
        self.stdout.write(report.summary())
        for detail in report.details:
            self.stdout.write(f"    {detail}")

    def test(self, account: ChannelAccount) -> None:
        try:
            result = check_account(account)
        except MailboxError as exc:
            raise CommandError(f"{account.organization.slug}/{account.name}: {exc}") from None
        self.stdout.write(f"{account.organization.slug}/{account.name}: {result}")

    def watch(self, accounts: list[ChannelAccount], interval: float) -> None:
        stop = threading.Event()
        lock = threading.Lock()

        def on_report(report: PollReport) -> None:
            if report.fetched or report.error:
                with lock:
                    self.print_report(report)

        def run(account: ChannelAccount) -> None:
            try:
                watch_account(account, stop, fallback_interval=interval, on_report=on_report)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=run, args=(account,), name=f"watch-{account.pk}", daemon=True)
            for account in accounts
        ]
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        names = ", ".join(f"{a.organization.slug}/{a.name}" for a in accounts)
        self.stdout.write(f"Watching {names} (Ctrl-C to stop)")
        close_old_connections()
        for thread in threads:
            thread.start()
        try:
            while any(thread.is_alive() for thread in threads) and not stop.is_set():
                stop.wait(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            signal.signal(signal.SIGTERM, previous)
            for thread in threads:
                thread.join(timeout=15)
        self.stdout.write("Stopped.")
