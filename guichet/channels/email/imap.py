"""Live IMAP mailboxes: fetch what arrived since the last poll and hand it to the intake pipeline.

One poll of a `ChannelAccount`:

1. log in (IMAPS, STARTTLS or plain per the account), select the folder to read, read its
   UIDVALIDITY; when it differs from the one stored, the folder was recreated and its UIDs mean
   something else: `last_uid` goes back to 0 and the whole folder is read again (harmless: intake
   is idempotent on the Message-ID, what was imported before comes back as duplicates);
2. list the UIDs above `last_uid`, ascending, and read their sizes (`RFC822.SIZE`) batch by batch;
3. fetch the raw RFC 5322 bytes exactly as stored on the server (`BODY.PEEK[]`: the message is not
   marked read by the fetch), in batches bounded by count and by bytes;
4. for each message, in UID order: `parse_email` then `receive`; flag it `\\Seen` and
   `$GuichetProcessed` on the server; then store its UID as `last_uid`. A crash at any point
   therefore neither skips a message (the UID is stored after the pipeline has persisted it) nor
   imports one twice (a message fetched again is a duplicate for the pipeline);
5. when a `processed_folder` is set (created when missing), move the batch's messages there in one
   command: one MOVE per message costs a maildir server an index rewrite each (measured with
   Dovecot: 236 messages per second moved one by one, 1,150 in batches). Messages flagged
   processed but left behind by a stop before their move are moved at the start of the next poll.

Nothing blocks the mailbox:
- the pipeline keeps a message whose processing fails aside itself (failed, retried, then held);
- bytes that are not an email at all (`EmailParseError`) are kept as a *held* inbound record with
  the raw bytes and the parser's reason, so that administrators see them in the list of messages
  needing attention, where every other problem of intake already is;
- a message above `GUICHET_INBOUND_MAX_BYTES` is still fetched and handed over: the pipeline stores
  it and holds it with its size. Above `HARD_CAP_FACTOR` times that limit it is not downloaded at
  all (one message must not exhaust the worker's memory or a slow link): its headers alone are
  fetched and kept as a held record whose reason gives the real size, the folder and the UID; the
  message stays in the mailbox, flagged `\\Flagged $GuichetTooLarge`, for someone to look at with a
  mail client;
- a message the server cannot send (damaged in its store: Dovecot then drops the connection in
  the middle of the FETCH) is isolated by reconnecting and fetching one by one; failing twice, it
  is recorded as held with the server's error and left in the mailbox, flagged `\\Flagged`;
- a message the pipeline cannot even persist is kept aside with that error; only when that fails
  too (the database is down) does the poll stop, without storing the UID, to resume there later.

Routing: the mailbox's own address is added to the message's recipients, and so is the address
of the account's department when the message names no department address already; the routing
engine sends a request to a department whose address is among the recipients unless a recognised
topic says otherwise.

Connection and login failures never raise out of `poll_account`: they are written to the account's
`last_error` (never with the password) and returned in the report.
"""

from __future__ import annotations

import dataclasses
import imaplib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from imap_tools.errors import ImapToolsError

from guichet.channels.base import InboundMessage
from guichet.channels.email.handover import keep_aside, unreadable_inbound, with_recipients
from guichet.channels.email.imap_session import (
    _EXISTS,
    HARD_CAP_FACTOR,
    IDLE_RESTART_SECONDS,
    MAX_BATCH_BYTES,
    PROCESSED_KEYWORD,
    TOO_LARGE_KEYWORD,
    MailboxError,
    _close_quietly,
    _secret_free,
    _Session,
    describe_error,
    open_mailbox,
)
from guichet.channels.email.leases import acquire_lease, release_lease, renew_lease
from guichet.channels.email.parser import CHANNEL, EmailParseError, parse_email
from guichet.channels.models import ChannelAccount
from guichet.intake.models import RecordStatus
from guichet.intake.pipeline import Reception, ingest_batch, receive

__all__ = [
    "PROCESSED_KEYWORD",
    "TOO_LARGE_KEYWORD",
    "MailboxError",
    "PollReport",
    "check_account",
    "poll_account",
    "watch_account",
]

logger = logging.getLogger(__name__)


@dataclass
class PollReport:
    """What one poll of one account did."""

    account: str
    fetched: int = 0
    new_cases: int = 0
    threaded: int = 0
    duplicates: int = 0
    # Bounces and delivery notifications about mail Guichet sent: recorded, no request opened.
    delivery_reports: int = 0
    # Kept aside for an administrator: too large, not an email, or held by the pipeline.
    held: int = 0
    # Processing failed and will be retried by the pipeline, or the server refused the marking.
    errors: int = 0
    uidvalidity_reset: bool = False
    # Why the poll itself failed (connection, login, folder...); empty when it went through.
    error: str = ""
    uidvalidity: int | None = None
    last_uid: int = 0
    # Stopped by `max_messages` or the time budget with messages still waiting.
    more_pending: bool = False
    # Not polled: another poller holds the mailbox's lease (see `leases.py`); not an error.
    busy: bool = False
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error

    def summary(self) -> str:
        if self.error:
            return f"{self.account}: failed: {self.error}"
        if self.busy:
            return f"{self.account}: skipped, another poller is reading this mailbox"
        parts = [
            f"{self.fetched} fetched",
            f"{self.new_cases} new",
            f"{self.threaded} threaded",
            f"{self.duplicates} duplicate",
            f"{self.delivery_reports} delivery report",
            f"{self.held} kept aside",
            f"{self.errors} error",
        ]
        text = f"{self.account}: " + ", ".join(parts)
        if self.uidvalidity_reset:
            text += " (UIDVALIDITY changed: folder read again from the start)"
        if self.more_pending:
            text += " (more messages waiting)"
        return text


def poll_account(
    account: ChannelAccount,
    *,
    batch_size: int = 100,
    max_messages: int | None = None,
    time_budget: float | None = None,
) -> PollReport:
    """Fetch what arrived in the account's folder since the last poll; see the module docstring.
    Never raises for a mailbox problem: the report (and the account's `last_error`) says it."""
    started = time.monotonic()
    report = PollReport(account=f"{account.organization.slug}/{account.name}")
    lease = acquire_lease(account)
    if lease is None:
        report.busy = True
        logger.info("%s", report.summary())
        return report
    try:
        with ExitStack() as sessions:
            _Poller(
                account,
                lambda: sessions.enter_context(open_mailbox(account)),
                report,
                batch_size=max(1, batch_size),
                max_messages=max_messages,
                deadline=started + time_budget if time_budget else None,
                lease=lease,
            ).run()
    except _StopPoll as stop:
        report.error = stop.reason
    except (ImapToolsError, imaplib.IMAP4.error, OSError, MailboxError, ValueError) as exc:
        report.error = describe_error(exc, account)
    except Exception as exc:  # a bug must not stop the other mailboxes; it is logged in full
        logger.exception("poll of mailbox %s failed", account.pk)
        report.error = describe_error(exc, account)
    finally:
        with suppress(Exception):  # the database is down: the lease expires by itself
            release_lease(account, lease)
    report.seconds = round(time.monotonic() - started, 3)
    _finish_poll(account, report)
    return report


class _StopPoll(Exception):
    """The pipeline cannot store anything (database down): stop, resume at the same UID later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _finish_poll(account: ChannelAccount, report: PollReport) -> None:
    now = timezone.now()
    error = _secret_free(report.error, account)
    try:
        ChannelAccount.objects.filter(pk=account.pk).update(last_polled_at=now, last_error=error)
    except Exception:  # the database itself is unavailable: the log is all that is left
        logger.exception("could not record the poll of mailbox %s", account.pk)
    account.last_polled_at = now
    account.last_error = error
    if report.error:
        logger.warning("mailbox %s (%s): %s", account.pk, report.account, error)
    elif report.fetched:
        logger.info("%s in %.2f s", report.summary(), report.seconds)


class _Poller:
    def __init__(
        self,
        account: ChannelAccount,
        connect: Callable[[], _Session],
        report: PollReport,
        *,
        batch_size: int,
        max_messages: int | None,
        deadline: float | None,
        lease: str,
    ) -> None:
        self.account = account
        self.lease = lease
        self.connect = connect
        self.session = connect()
        self.report = report
        self.batch_size = batch_size
        self.max_messages = max_messages
        self.deadline = deadline
        self.organization = account.organization
        self.limit = settings.GUICHET_INBOUND_MAX_BYTES
        self.hard_cap = HARD_CAP_FACTOR * self.limit
        self.processed_folder = account.processed_folder.strip()
        if self.processed_folder == account.folder:
            self.processed_folder = ""

    def run(self) -> None:
        account, report = self.account, self.report
        uidvalidity, uidnext = self.session.select(account.folder)
        if self.processed_folder:
            self.session.ensure_folder(self.processed_folder)
            if account.uidvalidity == uidvalidity:
                # Processed and marked, but a stop came before their batch was moved.
                self.move_processed(self.session.processed_up_to(account.last_uid))
        if account.uidvalidity is not None and account.uidvalidity != uidvalidity:
            report.uidvalidity_reset = True
            report.details.append(
                f"UIDVALIDITY of {account.folder} changed from {account.uidvalidity} to "
                f"{uidvalidity}: the folder is read again from the start"
            )
            account.last_uid = 0
        if account.uidvalidity != uidvalidity or report.uidvalidity_reset:
            account.uidvalidity = uidvalidity
            ChannelAccount.objects.filter(pk=account.pk).update(
                uidvalidity=uidvalidity, last_uid=account.last_uid
            )
        report.uidvalidity = uidvalidity
        report.last_uid = account.last_uid
        if uidnext and uidnext <= account.last_uid + 1:
            return  # nothing arrived since the last poll
        uids = self.session.uids_after(account.last_uid)
        if self.max_messages is not None and len(uids) > self.max_messages:
            uids = uids[: self.max_messages]
            report.more_pending = True
        for start in range(0, len(uids), self.batch_size):
            if self.deadline is not None and time.monotonic() > self.deadline:
                report.more_pending = True
                return
            self.batch(uids[start : start + self.batch_size])

    def batch(self, uids: list[int]) -> None:
        if not renew_lease(self.account, self.lease):
            raise _StopPoll(
                "the poll lease of this mailbox expired and another poller took it over; "
                "this poll stopped, the other one goes on from the stored UID"
            )
        sizes = self.session.sizes(uids)
        group: list[int] = []
        group_bytes = 0
        for uid in uids:
            size = sizes.get(uid)
            if size is None:
                continue  # expunged since the search: gone, nothing to fetch
            if size > self.hard_cap:
                self.flush(group)
                group, group_bytes = [], 0
                self.too_large(uid, size)
                continue
            if group and group_bytes + size > MAX_BATCH_BYTES:
                self.flush(group)
                group, group_bytes = [], 0
            group.append(uid)
            group_bytes += size
        self.flush(group)
        # UIDs that vanished (expunged by someone else) are behind us as well.
        self.advance(max(uids))

    def flush(self, uids: list[int], *, attempt: int = 1) -> None:
        if not uids:
            return
        try:
            raws = self.session.fetch_raw(uids)
        except (imaplib.IMAP4.abort, OSError) as exc:
            # The server dropped the connection in the middle of the FETCH, as Dovecot does on a
            # message damaged in its store. Reconnect and fetch one by one; a message that drops
            # the connection twice is kept aside, so that it cannot stall the mailbox.
            self.reconnect()
            if len(uids) > 1:
                for uid in uids:
                    self.flush([uid])
            elif attempt == 1:
                self.flush(uids, attempt=2)
            else:
                self.unfetchable(uids[0], exc)
            return
        except imaplib.IMAP4.error as exc:  # the server answered NO to the FETCH
            if len(uids) > 1:
                for uid in uids:
                    self.flush([uid])
            else:
                self.unfetchable(uids[0], exc)
            return
        receptions: dict[int, Reception] = {}
        parsed: list[tuple[int, InboundMessage, bytes]] = []
        for uid in uids:
            raw = raws.get(uid)
            if raw is None:  # expunged between the size and the body fetch
                self.report.details.append(f"UID {uid} vanished from the server before its fetch")
                continue
            self.report.fetched += 1
            try:
                parsed.append((uid, self.addressed(parse_email(raw)), raw))
            except EmailParseError:
                receptions[uid] = self.hand_over(uid, raw)
        if parsed:
            try:
                # One transaction for the batch, one savepoint per message (see ingest_batch).
                batch = ingest_batch(self.organization, [inbound for _, inbound, _ in parsed])
            except Exception:
                # The batch was rolled back as a whole: take its messages one by one, so that
                # the one at fault is kept aside and the others come in.
                logger.exception("mailbox %s: batch failed, retried one by one", self.account.pk)
                batch = [self.hand_over(uid, raw) for uid, _, raw in parsed]
            receptions.update(
                {uid: reception for (uid, _, _), reception in zip(parsed, batch, strict=True)}
            )
        # Marked and counted in UID order, only now that the batch is committed.
        for uid in sorted(receptions):
            self.finish(uid, receptions[uid])
        self.move_processed(sorted(receptions))

    def finish(self, uid: int, reception: Reception) -> None:
        """After the pipeline: the mark on the server, then the UID (see the module docstring)."""
        self.count(reception)
        try:
            self.session.flag_processed(uid)
        except MailboxError as exc:
            # Imported all the same; what a refused flag costs is a message left unmarked.
            self.report.errors += 1
            self.report.details.append(str(exc))
        self.advance(uid)

    def move_processed(self, uids: list[int]) -> None:
        if not self.processed_folder or not uids:
            return
        try:
            self.session.move(uids, self.processed_folder)
        except MailboxError as exc:
            self.report.errors += 1
            self.report.details.append(str(exc))

    def hand_over(self, uid: int, raw: bytes) -> Reception:
        try:
            inbound = parse_email(raw)
        except EmailParseError as exc:
            reason = f"{exc} (IMAP folder {self.account.folder}, UID {uid})"
            record, created = keep_aside(
                self.organization, unreadable_inbound(raw, str(exc)), step="parse", reason=reason
            )
            return Reception(record, duplicate=not created)
        inbound = self.addressed(inbound)
        try:
            return receive(self.organization, inbound)
        except Exception as exc:
            # The pipeline could not even store it (a value the database refuses...): keep the
            # bytes aside with the error so that this message does not stop the mailbox.
            logger.exception("mailbox %s: message UID %s could not be stored", self.account.pk, uid)
            reason = f"could not be stored ({type(exc).__name__}: {exc}); UID {uid}"
            try:
                record, created = keep_aside(
                    self.organization, unreadable_inbound(raw, reason), step="store", reason=reason
                )
            except Exception as again:
                raise _StopPoll(
                    f"the message UID {uid} could not be stored ({type(again).__name__}); "
                    "the poll stopped there and resumes at that message"
                ) from again
            return Reception(record, duplicate=not created)

    def addressed(self, inbound: InboundMessage) -> InboundMessage:
        """The mailbox's own address as a recipient, and its department as a routing hint."""
        inbound = with_recipients(inbound, [self.account.address])
        if self.account.department_id is not None:
            inbound = dataclasses.replace(inbound, department_id=self.account.department_id)
        return inbound

    def too_large(self, uid: int, size: int) -> None:
        report = self.report
        report.fetched += 1
        headers = self.session.fetch_raw([uid], headers_only=True).get(uid, b"")
        reason = (
            f"The message is {size / 1_048_576:.1f} MB, above {self.hard_cap / 1_048_576:.1f} MB "
            f"(4 times the {self.limit / 1_048_576:.1f} MB limit): not downloaded, only its headers "
            f"are kept here. It stays in the mailbox {self.account.address}, folder "
            f"{self.account.folder}, UID {uid}, flagged {TOO_LARGE_KEYWORD}."
        )
        try:
            inbound = parse_email(headers)
            inbound = dataclasses.replace(inbound, problems=(*inbound.problems, reason))
        except EmailParseError:
            inbound = unreadable_inbound(headers, reason)
        record, created = keep_aside(
            self.organization, inbound, step="fetch", reason=reason, size=size
        )
        self.count(Reception(record, duplicate=not created))
        self.session.mark_too_large(uid)
        self.advance(uid)

    def reconnect(self) -> None:
        _close_quietly(self.session.mailbox)
        self.session = self.connect()
        uidvalidity, _ = self.session.select(self.account.folder)
        if uidvalidity != self.account.uidvalidity:
            raise MailboxError(
                f"the UIDVALIDITY of {self.account.folder} changed during the poll: "
                "the next poll reads the folder again"
            )

    def unfetchable(self, uid: int, exc: Exception) -> None:
        account = self.account
        self.report.fetched += 1
        reason = (
            f"The server could not send this message ({describe_error(exc, account)}). It stays "
            f"in the mailbox {account.address}, folder {account.folder}, UID {uid}, flagged."
        )
        inbound = InboundMessage(
            channel=CHANNEL,
            external_id=f"imap:{account.pk}:{account.uidvalidity}:{uid}",
            sender_address="",
            problems=(reason,),
        )
        record, created = keep_aside(self.organization, inbound, step="fetch", reason=reason)
        self.count(Reception(record, duplicate=not created))
        self.session.store(uid, "\\Flagged")
        self.advance(uid)

    def count(self, reception: Reception) -> None:
        report, record = self.report, reception.record
        if reception.duplicate:
            report.duplicates += 1
        elif record.status == RecordStatus.HELD:
            report.held += 1
            report.details.append(f"kept aside: {record.external_id}: {record.error[:200]}")
        elif record.status != RecordStatus.PROCESSED:
            report.errors += 1
            report.details.append(f"failed, will be retried: {record.external_id}")
        else:
            thread = next((s for s in record.steps if s.get("step") == "thread"), None)
            if thread is None:
                report.delivery_reports += 1
            elif thread.get("new_case"):
                report.new_cases += 1
            else:
                report.threaded += 1

    def advance(self, uid: int) -> None:
        if uid <= self.account.last_uid:
            return
        # Only forward: two pollers of the same account (a watch and the periodic job) never
        # move the mark back.
        ChannelAccount.objects.filter(
            pk=self.account.pk, last_uid__lt=uid, uidvalidity=self.account.uidvalidity
        ).update(last_uid=uid)
        self.account.last_uid = uid
        self.report.last_uid = uid


# ---------------------------------------------------------------------------------------------
# Checking an account, watching it with IDLE


def check_account(account: ChannelAccount) -> str:
    """Connect, log in and open the folder; a sentence on success, `MailboxError` otherwise."""
    try:
        with open_mailbox(account) as session:
            status = session.mailbox.folder.status(account.folder, ["MESSAGES", "UIDVALIDITY"])
            processed = account.processed_folder.strip()
            note = ""
            if processed and processed != account.folder:
                exists = session.mailbox.folder.exists(processed)
                note = "" if exists else f"; the folder {processed!r} will be created"
            idle = "IDLE supported" if "IDLE" in session.capabilities else "no IDLE"
            return (
                f"connected to {account.host}:{account.port} as {account.username}: folder "
                f"{account.folder!r} holds {status.get('MESSAGES', 0)} messages ({idle}){note}"
            )
    except MailboxError:
        raise
    except Exception as exc:
        raise MailboxError(describe_error(exc, account)) from None


def watch_account(
    account: ChannelAccount,
    stop_event: threading.Event,
    *,
    fallback_interval: float = 60.0,
    on_report: Callable[[PollReport], None] | None = None,
    idle_restart: float = IDLE_RESTART_SECONDS,
) -> None:
    """Poll the account now, then each time the server announces new mail (IMAP IDLE), or every
    `fallback_interval` seconds on a server without IDLE, until `stop_event` is set. Connection
    problems are retried with a growing pause; the account is re-read before each poll, so an
    administrator's change (password, folder, deactivation) is taken into account."""
    failures = 0
    while not stop_event.is_set():
        # A watch runs for days: drop a database connection that broke or aged meanwhile.
        close_old_connections()
        current = (
            ChannelAccount.objects.select_related("organization", "department")
            .filter(pk=account.pk, is_active=True)
            .first()
        )
        if current is None:
            logger.info("mailbox %s deactivated or deleted: watch stopped", account.pk)
            return
        report = poll_account(current)
        if on_report is not None:
            on_report(report)
        if report.busy:  # another poller is on it: look again a little later
            stop_event.wait(min(fallback_interval, 30.0))
            continue
        if report.error:
            failures += 1
            stop_event.wait(min(fallback_interval * failures, 600.0))
            continue
        failures = 0
        if report.more_pending:
            continue
        try:
            supported = wait_for_mail(current, stop_event, timeout=idle_restart)
        except Exception as exc:
            logger.warning(
                "mailbox %s: IDLE interrupted: %s", account.pk, describe_error(exc, current)
            )
            stop_event.wait(min(fallback_interval, 30.0))
            continue
        if not supported:
            stop_event.wait(fallback_interval)


def wait_for_mail(account: ChannelAccount, stop_event: threading.Event, *, timeout: float) -> bool:
    """Wait in IMAP IDLE until the server announces a new message, `timeout` passes or
    `stop_event` is set. False at once when the server does not support IDLE."""
    with open_mailbox(account) as session:
        if "IDLE" not in session.capabilities:
            return False
        _, uidnext = session.select(account.folder)
        if uidnext and uidnext > account.last_uid + 1:
            # Mail arrived after the poll listed the folder and before this IDLE: the server
            # announces only what arrives during IDLE, so it would wait until the restart.
            return True
        idle = session.mailbox.idle
        idle.start()
        try:
            deadline = time.monotonic() + timeout
            while not stop_event.is_set() and time.monotonic() < deadline:
                asked = time.monotonic()
                responses = idle.poll(timeout=1.0)
                if any(_EXISTS.match(line) for line in responses):
                    return True
                if not responses and time.monotonic() - asked < 0.5:
                    # poll() returns at once and empty only when the server closed the connection.
                    raise MailboxError("the server closed the IDLE connection")
        finally:
            with suppress(ImapToolsError, imaplib.IMAP4.error, OSError):
                idle.stop()
    return True
