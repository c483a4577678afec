"""An SMTP ingress: for sites whose mail server forwards mail to Guichet instead of letting it
read a mailbox.

The site's mail server (Postfix, Exchange, a provider's forwarding rule) relays mail for the
organization's addresses to `guichet smtp-ingress`. The handler here:

- accepts a recipient only when it is an address Guichet receives for: an organization's or a
  department's address, or the address of a channel account, compared without letter case, and
  their `+tag` subaddresses (`mairie+urgent@ville.fr`); anything else gets `550 5.1.1`, so that
  Guichet is never an open relay and a typo bounces at once;
- refuses a message above the size limit with `552` (announced by the SIZE extension, so that a
  well-behaved server does not even send it);
- answers `250` only once the pipeline has persisted the message: on an unexpected failure it
  answers `451` and the sending server keeps the message and retries later; intake being
  idempotent on the Message-ID, a retry after a half-done delivery creates nothing twice.
- Bytes that are not an email are kept as a held record (like the IMAP reader does) and
  accepted: the sender's server has no better place for them.

The Django ORM work runs in one worker thread (`sync_to_async(thread_sensitive=True)`), never in
the event loop: the loop keeps serving other connections, and database writes are serialised, as
SQLite requires. Connections are checked before and closed after each job, as Django does around
a request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from guichet.channels.email.handover import keep_aside, unreadable_inbound, with_recipients
from guichet.channels.email.parser import EmailParseError, parse_email
from guichet.channels.models import ChannelAccount
from guichet.intake.pipeline import receive
from guichet.organizations.models import Department, Organization

logger = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Message accepted"
RECIPIENT_OK = "250 2.1.5 Recipient OK"
UNKNOWN_RECIPIENT = "550 5.1.1 No such recipient here"
TOO_LARGE = "552 5.3.4 Message too large"
NO_VALID_RECIPIENT = "554 5.5.1 No valid recipients"
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


@dataclass(frozen=True)
class Recipient:
    """An address Guichet receives for, as the directory knows it (without a `+tag`)."""

    organization_id: int
    # The address as the envelope gave it, and without its +tag.
    given: str
    address: str


def canonical(address: str) -> str:
    """`address` lower-cased, without its `+tag` subaddress."""
    local, at, domain = address.strip().strip("<>").lower().rpartition("@")
    if not at or not local or not domain:
        return ""
    return f"{local.split('+', 1)[0]}@{domain}"


def find_recipient(address: str) -> Recipient | None:
    """The organization receiving mail at `address` (or one of its `+tag` subaddresses)."""
    wanted = canonical(address)
    if not wanted:
        return None
    organization = (
        Organization.objects.filter(email_address__iexact=wanted)
        .values_list("pk", flat=True)
        .first()
    )
    if organization is None:
        organization = (
            Department.objects.filter(email_address__iexact=wanted, is_active=True)
            .values_list("organization_id", flat=True)
            .first()
        )
    if organization is None:
        organization = (
            ChannelAccount.objects.filter(address__iexact=wanted, is_active=True)
            .values_list("organization_id", flat=True)
            .first()
        )
    if organization is None:
        return None
    return Recipient(organization, address.strip().strip("<>").lower(), wanted)


def deliver(raw: bytes, recipients: list[str]) -> str:
    """Hand `raw` to the pipeline of each organization among `recipients`; the SMTP reply.
    Raises on unexpected failures (the caller answers 451)."""
    found = [r for r in (find_recipient(a) for a in recipients) if r is not None]
    if not found:
        return NO_VALID_RECIPIENT
    by_organization: dict[int, list[str]] = {}
    for recipient in found:
        # Both: the +tag may carry a case token, the bare address names a department.
        addresses = by_organization.setdefault(recipient.organization_id, [])
        addresses += [recipient.given, recipient.address]
    try:
        parsed = parse_email(raw)
        unreadable = ""
    except EmailParseError as exc:
        parsed, unreadable = None, str(exc)
    for organization in Organization.objects.filter(pk__in=by_organization):
        if parsed is None:
            reason = f"{unreadable} (received by the SMTP ingress)"
            keep_aside(
                organization, unreadable_inbound(raw, unreadable), step="parse", reason=reason
            )
            continue
        # The envelope recipients (what the relay was asked to deliver to) route like the
        # headers: a department's address in either sends the request to that department.
        reception = receive(organization, with_recipients(parsed, by_organization[organization.pk]))
        logger.info(
            "smtp ingress: %s -> %s (%s)",
            reception.record.external_id[:80],
            reception.reference or reception.record.status,
            "duplicate" if reception.duplicate else "new",
        )
    return ACCEPTED


class IngressHandler:
    """aiosmtpd handler; the synchronous `find_recipient` and `deliver` do the work."""

    def __init__(
        self,
        *,
        max_bytes: int | None = None,
        run_sync: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
    ) -> None:
        self.max_bytes = max_bytes if max_bytes is not None else settings.GUICHET_INBOUND_MAX_BYTES
        self._run_sync = run_sync or (lambda fn: sync_to_async(fn, thread_sensitive=True))

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            recipient = await self._run_sync(_with_connections(find_recipient))(address)
        except Exception:
            logger.exception("smtp ingress: recipient lookup failed")
            return TEMPORARY_FAILURE
        if recipient is None:
            return UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return RECIPIENT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):  # only with decode_data=True, which the ingress never sets
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > self.max_bytes:
            return TOO_LARGE
        try:
            return str(
                await self._run_sync(_with_connections(deliver))(
                    bytes(raw), list(envelope.rcpt_tos)
                )
            )
        except Exception:
            logger.exception("smtp ingress: delivery to the pipeline failed")
            return TEMPORARY_FAILURE


def _with_connections(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` run between two checks of the thread's database connections, as a request is."""

    def run(*args: Any) -> Any:
        close_old_connections()
        try:
            return function(*args)
        finally:
            close_old_connections()

    return run


def make_controller(host: str, port: int, *, max_bytes: int | None = None) -> Any:
    """An aiosmtpd `Controller` serving the ingress on host:port (started by `.start()`)."""
    from aiosmtpd.controller import Controller

    handler = IngressHandler(max_bytes=max_bytes)
    return Controller(
        handler,
        hostname=host,
        port=port,
        data_size_limit=handler.max_bytes,
        server_hostname=settings.GUICHET_EMAIL_DOMAIN,
        ident="Guichet SMTP ingress",
    )
