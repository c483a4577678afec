"""Email service providers (Brevo, Mailjet, SendGrid, Postmark, Mailgun) through django-anymail.

Three jobs, each a thin translation between anymail's normalised objects and Guichet's contract;
the HTTP side (URLs, authentication, status codes) is in `webhooks.py`, the configuration and the
limits in docs/email-providers.md.

- **Inbound mail** (`receive_inbound_event`, on `anymail.signals.inbound`): the provider's
  `AnymailInboundMessage` becomes RFC 5322 bytes, read by `parse_email` like a message from an
  IMAP mailbox, and goes to `guichet.intake.pipeline.receive` for each organization that owns one
  of its recipient addresses. The pipeline is idempotent on the Message-ID, and the bytes are made
  the same on every retry of the provider (see `message_bytes`), so a replayed webhook creates
  nothing twice.
- **Mail for nobody** (`keep_unrouted`, see `unrouted.py`): a message whose recipients belong to
  no organization has no inbound record to live on (a record belongs to one organization). Its
  bytes are kept in the file storage under `inbound/unrouted/<provider>/` and listed for the
  platform operators, and a warning is logged; the provider gets a 2xx, so it does not retry a
  message that no retry can route. `reroute_unrouted` tries it again once its address is known.
- **Delivery events** (`add_tracking_metadata` on `anymail.signals.pre_send`,
  `receive_tracking_event` on `anymail.signals.tracking`): every message sent through an anymail
  backend carries our Message-ID in the provider's metadata (providers replace the Message-ID
  header or report their own id), and a bounce, a rejection or a failure reported by the
  provider marks that outbound message failed with an event on the case timeline, as a bounce
  received by email does.

Why signals here, when STYLE.md forbids Django signals for business side effects: anymail's
signals are the library's public contract (its views parse the provider's request and *send*
the signal; there is no other hook). The receivers below hold no business rule: they translate
the library's objects into ours and call the same entry points as every other channel (the
intake pipeline; for delivery events, the same write as a bounce received by email). They are
connected by `connect_signals()`, from `ChannelsConfig.ready()` and, so that a mounted webhook
always has its receiver, when `webhooks.py` is imported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from email.message import Message as MimeMessage
from typing import Any

from anymail.exceptions import AnymailAPIError
from anymail.inbound import AnymailInboundMessage
from anymail.signals import (
    AnymailInboundEvent,
    AnymailTrackingEvent,
    EventType,
    inbound,
    pre_send,
    tracking,
)
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.html import linebreaks, urlize

from guichet.channels.base import InboundMessage
from guichet.channels.email.handover import keep_aside, unreadable_inbound, with_recipients
from guichet.channels.email.parser import EmailParseError, parse_email
from guichet.channels.email.unrouted import delete_unrouted, keep_unrouted
from guichet.channels.models import UnroutedMail
from guichet.conversations.models import DeliveryStatus, Direction, Message
from guichet.intake.pipeline import Reception, receive
from guichet.organizations.models import Organization
from guichet.organizations.queries import RecipientDirectory

logger = logging.getLogger(__name__)

# The metadata key that carries our Message-ID (without brackets) through the provider.
METADATA_KEY = "guichet_message_id"
# Provider events that mean the message will not reach the citizen.
FAILURE_EVENTS = frozenset({EventType.BOUNCED, EventType.REJECTED, EventType.FAILED})


class TrackingNotReady(Exception):
    """A delivery event arrived for a message whose sending is not recorded yet (the event came
    back faster than the worker saved "sent"): the provider must try again a little later."""


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one inbound message from a provider."""

    receptions: tuple[Reception, ...] = ()
    # Storage name of the bytes kept when no organization receives at any recipient address.
    unrouted: str = ""


# ---------------------------------------------------------------------------------------------
# Inbound mail


def receive_inbound_event(
    sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any
) -> None:
    """Receiver of `anymail.signals.inbound`: see `handle_inbound_message`."""
    outcome = handle_inbound_message(event.message, esp_name=esp_name)
    for reception in outcome.receptions:
        logger.info(
            "%s inbound webhook: %s -> %s (%s)",
            esp_name,
            reception.record.external_id[:80],
            reception.reference or reception.record.status,
            "duplicate" if reception.duplicate else "new",
        )


def reroute_unrouted(mail: UnroutedMail) -> InboundOutcome:
    """Hand mail kept for no organization to the pipeline again, for instance once its address
    was given to an organization. Routed, its row and files are deleted; still for nobody, it
    stays as it was."""
    with default_storage.open(mail.storage_name) as kept:
        raw = kept.read()
    message = AnymailInboundMessage.parse_raw_mime_bytes(raw)
    if mail.recipients:
        message.envelope_recipient = mail.recipients[-1]
    outcome = handle_inbound_message(message, esp_name=mail.provider)
    if outcome.receptions:
        delete_unrouted(mail)
    return outcome


def handle_inbound_message(message: AnymailInboundMessage, *, esp_name: str) -> InboundOutcome:
    """Hand one provider message to the pipeline of each organization it is addressed to.

    Raises only when nothing could be stored (database or storage unavailable): the webhook then
    answers 503 and the provider delivers the message again later."""
    raw = message_bytes(message)
    envelope = [message.envelope_recipient] if message.envelope_recipient else []
    try:
        parsed: InboundMessage | None = parse_email(raw)
        unreadable = ""
    except EmailParseError as exc:
        parsed, unreadable = None, str(exc)
    if parsed is not None:
        parsed = with_recipients(_with_provider_notes(parsed, message, esp_name), envelope)
        addresses: tuple[str, ...] = parsed.recipients
    else:
        addresses = tuple(_header_addresses(message)) + tuple(envelope)
    organizations = organizations_for(addresses)
    if not organizations:
        reason = (
            f"{unreadable} (received through {esp_name})"
            if unreadable
            else f"no organization receives mail at {', '.join(addresses) or 'no address'}"
        )
        name = keep_unrouted(
            raw,
            provider=esp_name,
            reason=reason,
            extension=".eml",
            recipients=addresses,
        )
        # Only the envelope address (one of ours, misconfigured) is logged, not the sender's.
        logger.warning(
            "%s inbound webhook: no organization receives mail for this message "
            "(envelope recipient %s); kept as %s",
            esp_name,
            message.envelope_recipient or "unknown",
            name,
        )
        return InboundOutcome(unrouted=name)
    receptions = []
    for organization in organizations:
        if parsed is None:
            record, created = keep_aside(
                organization,
                unreadable_inbound(raw, unreadable),
                step="parse",
                reason=f"{unreadable} (received through {esp_name})",
            )
            receptions.append(Reception(record, duplicate=not created))
        else:
            receptions.append(receive(organization, parsed))
    return InboundOutcome(receptions=tuple(receptions))


def message_bytes(message: AnymailInboundMessage) -> bytes:
    """The RFC 5322 bytes of `message`, the same for the same message on every call.

    Providers that post parsed fields (Mailjet, Brevo, SendGrid's default mode) get a MIME
    structure built by anymail without boundaries; the generator would then draw random ones,
    and a retried webhook would give other bytes: another fingerprint for the pipeline, another
    identifier for a message without Message-ID. The boundaries are therefore derived from the
    content. A message that came as raw MIME keeps its own."""
    unset = [part for part in message.walk() if part.is_multipart() and not part.get_boundary()]
    if unset:
        for part in unset:
            part.set_boundary("guichet")
        digest = hashlib.sha256(_serialise(message)).hexdigest()[:32]
        for index, part in enumerate(unset):
            part.set_boundary(f"=_guichet_{digest}_{index}")
    return _serialise(message)


def _serialise(message: MimeMessage) -> bytes:
    try:
        return bytes(message.as_bytes())
    except (UnicodeError, ValueError, LookupError, TypeError):
        # A header the default policy cannot fold or encode: written as UTF-8 (RFC 6532), which
        # the parser reads as well.
        return message.as_string(policy=policy.SMTPUTF8).encode("utf-8", "surrogateescape")


def _with_provider_notes(
    parsed: InboundMessage, message: AnymailInboundMessage, esp_name: str
) -> InboundMessage:
    if not message.spam_detected:
        return parsed
    note = f"marked as spam by {esp_name}"
    if message.spam_score is not None:
        note += f" (score {message.spam_score})"
    return dataclasses.replace(parsed, problems=(*parsed.problems, note))


def _header_addresses(message: AnymailInboundMessage) -> list[str]:
    """To and Cc as anymail read them, for bytes that our parser refused."""
    addresses = []
    for field in (message.to, message.cc):
        addresses += [address.addr_spec.lower() for address in field if address.addr_spec]
    return addresses


def organizations_for(addresses: Iterable[str]) -> list[Organization]:
    """The organizations receiving mail at any of `addresses` (theirs, their departments', and
    `+tag` sub-addresses of them), each once, in the order of the addresses."""
    directory = RecipientDirectory()
    found: dict[int, Organization] = {}
    for address in addresses:
        organization = directory.find((address,), default_to_only=False)
        if organization is not None:
            found.setdefault(organization.pk, organization)
    return list(found.values())


# ---------------------------------------------------------------------------------------------
# Outbound mail and delivery events


def add_tracking_metadata(sender: Any, message: EmailMessage, esp_name: str, **kwargs: Any) -> None:
    """Receiver of `anymail.signals.pre_send`, run by anymail backends only.

    Puts our Message-ID in the provider's metadata, which the provider returns with each
    delivery event; and gives Brevo, whose API refuses a message without HTML, an HTML rendering
    of the plain-text body."""
    message_id = _header(message, "Message-ID").strip().strip("<>")
    if message_id:
        metadata = dict(getattr(message, "metadata", None) or {})
        metadata[METADATA_KEY] = message_id
        message.metadata = metadata  # type: ignore[attr-defined]
    if esp_name == "Brevo" and not _has_html(message):
        extra = dict(getattr(message, "esp_extra", None) or {})
        extra.setdefault("htmlContent", text_as_html(str(message.body)))
        message.esp_extra = extra  # type: ignore[attr-defined]


def is_transient_provider_error(exc: BaseException) -> bool:
    """A sending failure through a provider's API that a later attempt may not meet: the API
    unreachable, rate-limited (429) or failing (5xx). A refusal of the message (4xx: invalid
    address, unverified sender, bad API key) is not worth retrying.

    For `guichet.conversations.delivery.is_transient`, which knows SMTP errors only: anymail
    raises `AnymailRequestsAPIError` for every API answer it does not like, and that error is
    also an `OSError` (a `requests.HTTPError`), whatever the status."""
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status is None:  # no answer at all: the network, or anymail's own checks
            return isinstance(exc, OSError)
        return bool(status == 429 or status >= 500)
    return isinstance(exc, OSError)  # requests' network errors


def text_as_html(text: str) -> str:
    """A plain-text body as simple HTML: escaped, paragraphs and line breaks, links clickable."""
    return linebreaks(urlize(text, autoescape=True))


def _header(message: EmailMessage, name: str) -> str:
    for key, value in (message.extra_headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _has_html(message: EmailMessage) -> bool:
    if message.content_subtype == "html":
        return True
    alternatives = getattr(message, "alternatives", None) or []
    return any(alternative[1] == "text/html" for alternative in alternatives)


def receive_tracking_event(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    """Receiver of `anymail.signals.tracking`: see `record_tracking_event`."""
    outcome = record_tracking_event(event, esp_name=esp_name)
    logger.info("%s tracking webhook: %s event: %s", esp_name, event.event_type, outcome)


def record_tracking_event(event: AnymailTrackingEvent, *, esp_name: str) -> str:
    """Apply one provider delivery event to the outbound message it is about; returns what was
    done ("failed", "already failed", "ignored", "not ours"), for the log.

    Only failures change anything: Guichet has no "delivered" status, and opens and clicks are
    not tracked. A failure marks a sent message failed and writes a "delivery failed" event on
    its case timeline, once (providers repeat events). Raises `TrackingNotReady` for a message
    still queued: the event overtook the worker's own record of the sending."""
    if event.event_type not in FAILURE_EVENTS:
        return "ignored"
    message_id = our_message_id(event)
    if not message_id:
        return "not ours"
    from guichet.cases.actions import append_event
    from guichet.cases.models import EventKind

    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .select_related("case")
            .filter(direction=Direction.OUTBOUND, email_message_id=message_id)
            .first()
        )
        if message is None:
            return "not ours"
        if message.delivery_status == DeliveryStatus.FAILED:
            return "already failed"
        if message.delivery_status == DeliveryStatus.QUEUED:
            raise TrackingNotReady(message.pk)
        if message.delivery_status != DeliveryStatus.SENT:
            return "ignored"
        message.delivery_status = DeliveryStatus.FAILED
        message.delivery_error = describe_failure(event, esp_name)[:2000]
        message.save(update_fields=["delivery_status", "delivery_error"])
        append_event(
            message.case,
            EventKind.DELIVERY_FAILED,
            message=message,
            data={
                "error": message.delivery_error[:500],
                "channel": message.channel,
                "recipient": event.recipient or "",
                "provider": esp_name,
                "event": event.event_type,
            },
        )
    logger.info("%s reported outbound message %s as %s", esp_name, message.pk, event.event_type)
    return "failed"


def our_message_id(event: AnymailTrackingEvent) -> str:
    """Our Message-ID from the event's metadata; else the provider's message id when it is one of
    ours (some providers report the Message-ID header they sent)."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    value = str(metadata.get(METADATA_KEY) or "").strip().strip("<>")
    if value:
        return value
    reported = str(event.message_id or "").strip().strip("<>")
    if reported.endswith("@" + settings.GUICHET_EMAIL_DOMAIN):
        return reported
    return ""


def describe_failure(event: AnymailTrackingEvent, esp_name: str) -> str:
    """The provider's account of a failure, for the agent: who said what."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    parts = [f"{esp_name}: {raw.get('event') or event.event_type}"]
    if event.reject_reason:
        parts.append(f"({event.reject_reason})")
    # The server's answer when the provider passes it on, else the provider's own words
    # (Mailjet's "error": "user unknown").
    detail = event.mta_response or event.description or raw.get("error") or ""
    detail = " ".join(str(detail).split())
    if detail:
        parts.append(detail)
    return " ".join(parts)


def connect_signals() -> None:
    """Connect the receivers above to anymail's signals; calling it again changes nothing."""
    inbound.connect(receive_inbound_event, dispatch_uid="guichet.email.providers.inbound")
    tracking.connect(receive_tracking_event, dispatch_uid="guichet.email.providers.tracking")
    pre_send.connect(add_tracking_metadata, dispatch_uid="guichet.email.providers.pre_send")
