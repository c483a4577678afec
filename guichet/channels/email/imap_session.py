"""The IMAP connection of a channel account: login with a clear error and never the password,
raw fetches, flags and moves that never expunge (see imap.py for the poll itself)."""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError, UnexpectedCommandStatusError
from imap_tools.utils import encode_folder

from guichet.channels.models import ChannelAccount

logger = logging.getLogger(__name__)


PROCESSED_KEYWORD = "$GuichetProcessed"
TOO_LARGE_KEYWORD = "$GuichetTooLarge"
# Above this many times GUICHET_INBOUND_MAX_BYTES a message is not downloaded, only its headers.
HARD_CAP_FACTOR = 4
# One FETCH brings at most this many bytes (and `batch_size` messages): memory stays bounded.
MAX_BATCH_BYTES = 32 * 1024 * 1024
CONNECT_TIMEOUT = 30.0
# IDLE is restarted well before the 29 minutes of RFC 2177, and the folder polled each time.
IDLE_RESTART_SECONDS = 25 * 60
MAX_ERROR_LENGTH = 2000

_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
# Dovecot ends its answers with how long they took: "(0.001 + 0.000 secs)."
_TIMINGS = re.compile(r"\s*\([\d.]+(?: \+ [\d.]+)* secs\)\.?$")
_EXISTS = re.compile(rb"^\* \d+ EXISTS", re.IGNORECASE)


class MailboxError(Exception):
    """The mailbox cannot be reached or refuses the login; the message is safe to show."""


# ---------------------------------------------------------------------------------------------
# Connecting


def _secret_free(text: str, account: ChannelAccount) -> str:
    """`text` without the account's password, whatever a server or a library echoed back."""
    if account.password and len(account.password) >= 3:
        text = text.replace(account.password, "***")
    return text[:MAX_ERROR_LENGTH]


def _server_text(exc: UnexpectedCommandStatusError) -> str:
    data = exc.command_result[1] if len(exc.command_result) > 1 else ""
    items = data if isinstance(data, list | tuple) else [data]
    text = " ".join(
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        for item in items
        if item
    )
    return _TIMINGS.sub("", text).strip() or str(exc.command_result[0])


def describe_error(exc: BaseException, account: ChannelAccount) -> str:
    """A one-line, password-free explanation of a failed IMAP operation."""
    where = f"{account.host}:{account.port}"
    if isinstance(exc, MailboxError):
        text = str(exc)
    elif isinstance(exc, MailboxLoginError):
        text = f"login refused by {where}: {_server_text(exc)}"
    elif isinstance(exc, UnexpectedCommandStatusError):
        text = f"{type(exc).__name__} from {where}: {_server_text(exc)}"
    elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
        text = f"TLS failure with {where}: {exc}"
    elif isinstance(exc, socket.timeout | TimeoutError):
        text = f"no answer from {where} (timeout)"
    elif isinstance(exc, socket.gaierror):
        text = f"unknown server {account.host!r}: {exc.strerror or exc}"
    elif isinstance(exc, ConnectionRefusedError):
        text = f"connection refused by {where}"
    elif isinstance(exc, OSError):
        text = f"cannot reach {where}: {exc.strerror or exc}"
    elif isinstance(exc, imaplib.IMAP4.abort):
        text = f"connection to {where} lost: {exc}"
    elif isinstance(exc, imaplib.IMAP4.error):
        text = f"IMAP error from {where}: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _secret_free(" ".join(text.split()), account)


def _mailbox_class(account: ChannelAccount) -> BaseMailBox:
    if account.use_ssl:
        return MailBox(account.host, account.port, timeout=CONNECT_TIMEOUT)
    if account.use_starttls:
        return MailBoxStartTls(account.host, account.port, timeout=CONNECT_TIMEOUT)
    return MailBoxUnencrypted(account.host, account.port, timeout=CONNECT_TIMEOUT)


@contextmanager
def open_mailbox(account: ChannelAccount) -> Iterator[_Session]:
    """A logged-in session on the account's server (no folder selected yet), logged out after."""
    if not account.password:
        raise MailboxError(
            "no password stored for this mailbox (or it cannot be decrypted since the encryption "
            "keys changed): enter it again in the admin"
        )
    try:
        mailbox = _mailbox_class(account)
    except ValueError as exc:  # MailBoxStartTls refuses port 993
        raise MailboxError(str(exc)) from None
    try:
        if account.username.isascii() and account.password.isascii():
            mailbox.login(account.username, account.password, initial_folder=None)
        else:
            mailbox.login_utf8(account.username, account.password, initial_folder=None)
    except BaseException:
        _close_quietly(mailbox)
        raise
    try:
        yield _Session(mailbox)
    finally:
        _close_quietly(mailbox)


def _close_quietly(mailbox: BaseMailBox) -> None:
    # LOGOUT, never CLOSE: CLOSE would expunge what a person marked deleted in the folder.
    try:
        mailbox.client.logout()
    except (imaplib.IMAP4.error, OSError, ImapToolsError):
        with suppress(OSError):
            mailbox.client.shutdown()


class _Session:
    """The IMAP commands a poll needs, on top of imap-tools' connection."""

    def __init__(self, mailbox: BaseMailBox) -> None:
        self.mailbox = mailbox
        self.client = mailbox.client
        # The greeting's capabilities are those before login; the server may offer more after it.
        _, data = self.client.capability()
        names = b" ".join(d for d in data if isinstance(d, bytes)).upper().split()
        self.capabilities = frozenset(n.decode("ascii", "replace") for n in names)

    def select(self, folder: str) -> tuple[int, int]:
        """Select `folder` read-write; its (UIDVALIDITY, UIDNEXT)."""
        try:
            self.mailbox.folder.set(folder)
        except UnexpectedCommandStatusError as exc:
            raise MailboxError(
                f"the folder {folder!r} cannot be opened: {_server_text(exc)}"
            ) from None
        _, validity = self.client.response("UIDVALIDITY")
        _, uidnext = self.client.response("UIDNEXT")
        if not validity or validity[0] is None:
            # Every IMAP4rev1 server sends it on SELECT; STATUS is the second way to ask.
            status = self.mailbox.folder.status(folder, ["UIDVALIDITY", "UIDNEXT"])
            return int(status["UIDVALIDITY"]), int(status.get("UIDNEXT", 0))
        next_uid = int(uidnext[0]) if uidnext and uidnext[0] is not None else 0
        return int(validity[0]), next_uid

    def ensure_folder(self, folder: str) -> None:
        if not self.mailbox.folder.exists(folder):
            self.mailbox.folder.create(folder)
            with suppress(ImapToolsError):  # subscribing only helps mail clients show it
                self.mailbox.folder.subscribe(folder, True)

    def uids_after(self, last_uid: int) -> list[int]:
        # "n:*" always matches the highest UID, even below n (RFC 3501 6.4.8): filter here.
        found = self.mailbox.uids(f"UID {last_uid + 1}:*")
        return sorted(uid for uid in (int(u) for u in found) if uid > last_uid)

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        data = self._uid_fetch(uids, "(RFC822.SIZE)")
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def fetch_raw(self, uids: Sequence[int], *, headers_only: bool = False) -> dict[int, bytes]:
        """The bytes of each message as the server stores them (fetching does not mark read)."""
        part = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        data = self._uid_fetch(uids, f"({part})")
        found: dict[int, bytes] = {}
        pending: bytes | None = None
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                head, literal = item
                uid = _UID.search(head) if isinstance(head, bytes) else None
                if uid:
                    found[int(uid.group(1))] = bytes(literal)
                    pending = None
                else:  # some servers send the UID after the literal
                    pending = bytes(literal)
            elif isinstance(item, bytes) and pending is not None:
                uid = _UID.search(item)
                if uid:
                    found[int(uid.group(1))] = pending
                pending = None
        return found

    def _uid_fetch(self, uids: Sequence[int], items: str) -> list[Any]:
        typ, data = self.client.uid("FETCH", ",".join(str(u) for u in uids), items)
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH refused: {data!r}")
        return [d for d in data if d is not None]

    def store(self, uid: int, flags: str) -> bool:
        typ, _ = self.client.uid("STORE", str(uid), "+FLAGS.SILENT", f"({flags})")
        return typ == "OK"

    def flag_processed(self, uid: int) -> None:
        """Mark the message read and processed: the durable mark on the server, per message."""
        # A server that refuses keywords (no \* in PERMANENTFLAGS) still takes \Seen.
        if not self.store(uid, f"\\Seen {PROCESSED_KEYWORD}") and not self.store(uid, "\\Seen"):
            raise MailboxError(f"the server refused to flag message UID {uid}")

    def processed_up_to(self, last_uid: int) -> list[int]:
        """Messages marked processed, at or below `last_uid`, still in the selected folder."""
        if last_uid < 1:
            return []
        found = self.mailbox.uids(f"UID 1:{last_uid} KEYWORD {PROCESSED_KEYWORD}")
        return sorted(uid for uid in (int(u) for u in found) if uid <= last_uid)

    def move(self, uids: Sequence[int], folder: str) -> None:
        """Move messages in one command (a maildir server rewrites its index once, not per
        message); without MOVE, copy then expunge these messages only."""
        if not uids:
            return
        uid_set = ",".join(str(u) for u in uids)
        target = encode_folder(folder).decode("ascii")  # modified UTF-7, quoted
        if "MOVE" in self.capabilities:
            typ, data = self.client.uid("MOVE", uid_set, target)
            if typ != "OK":
                raise MailboxError(f"the server refused to move messages to {folder!r}: {data!r}")
            return
        typ, data = self.client.uid("COPY", uid_set, target)
        if typ != "OK":
            raise MailboxError(f"the server refused to copy messages to {folder!r}: {data!r}")
        self.client.uid("STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)")
        if "UIDPLUS" in self.capabilities:
            # Expunge these messages only, never what a person marked deleted in the folder.
            self.client.uid("EXPUNGE", uid_set)
        # Without UIDPLUS the originals stay, marked deleted, for a mail client to expunge.

    def mark_too_large(self, uid: int) -> None:
        if not self.store(uid, f"\\Flagged {TOO_LARGE_KEYWORD}"):
            self.store(uid, "\\Flagged")
