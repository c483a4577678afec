"""Delivering stored outbound messages through their channel adapter."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.utils import formataddr

from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from guichet.channels.base import DeliveryReceipt, OutboundAttachment, OutboundMessage, registry
from guichet.channels.email.addresses import reply_address
from guichet.conversations.models import DeliveryStatus, Message


def tracking_url(case_token: str, organization_slug: str) -> str:
    return f"{settings.SITE_URL}/portail/{organization_slug}/suivi/{case_token}/"


def build_outbound(message: Message) -> OutboundMessage:
    case = message.case
    organization = case.organization
    from_address = (
        (case.department.email_address if case.department else "")
        or organization.email_address
        or settings.DEFAULT_FROM_EMAIL
    )
    attachments = tuple(
        OutboundAttachment(a.filename, a.content_type, a.file.read())
        for a in message.attachments.all()
        if a.is_available
    )
    return OutboundMessage(
        message_id=message.pk,
        organization_name=organization.name,
        channel=message.channel,
        recipient_address=message.recipient_address,
        recipient_name=case.citizen.display_name,
        subject=message.subject,
        text=message.text,
        from_address=formataddr((organization.name, from_address)),
        reply_to=reply_address(from_address, organization.pk, case.pk)
        if settings.GUICHET_REPLY_TOKEN_ADDRESSES
        else from_address,
        email_message_id=message.email_message_id,
        in_reply_to=message.in_reply_to,
        references=tuple(message.references.split()),
        case_reference=case.reference,
        tracking_url=tracking_url(case.tracking_token, organization.slug),
        attachments=attachments,
        is_automatic=message.is_automatic,
    )


# How long a claimed delivery keeps the retry job away (longer than any SMTP conversation).
CLAIM_MINUTES = 10


def deliver(message_id: int) -> DeliveryReceipt | None:
    """Send one queued message when it is due; idempotent (a message already delivered, or being
    sent by another worker, or whose retry time has not come, is left alone: None)."""
    message = (
        Message.objects.select_related("case__organization", "case__citizen", "case__department")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.delivery_status != DeliveryStatus.QUEUED:
        return None
    # Claim the attempt: a message is sent only when due (never tried, or its retry time has
    # come); the claim moves its next attempt `CLAIM_MINUTES` ahead in the same update, so of two
    # workers reaching it (a delivery task and the retry job) only the first sends it, and a
    # worker that dies while sending leaves it to the retry job after that time.
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message.pk, delivery_status=DeliveryStatus.QUEUED)
        .filter(Q(next_delivery_at__isnull=True) | Q(next_delivery_at__lte=now))
        .update(
            delivery_attempts=F("delivery_attempts") + 1,
            next_delivery_at=now + timedelta(minutes=CLAIM_MINUTES),
        )
    )
    if not claimed:
        return None
    outbound = build_outbound(message)
    adapter = registry.get(message.channel)
    retry_at = None
    message.delivery_attempts += 1
    if not outbound.recipient_address and adapter.delivers_itself:
        receipt = DeliveryReceipt(DeliveryStatus.FAILED, error="no address to write to")
    else:
        try:
            receipt = adapter.send(outbound)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            receipt = DeliveryReceipt(DeliveryStatus.FAILED, error=error)
            if (
                is_transient(exc)
                and message.delivery_attempts < settings.GUICHET_DELIVERY_MAX_ATTEMPTS
            ):
                # The server is down or busy: the message stays queued and is tried again.
                receipt = DeliveryReceipt(DeliveryStatus.QUEUED, error=error)
                retry_at = timezone.now() + timedelta(minutes=2**message.delivery_attempts)
    with transaction.atomic():
        message.delivery_status = receipt.status
        message.delivery_error = receipt.error[:2000]
        message.next_delivery_at = retry_at
        if receipt.status in (DeliveryStatus.SENT, DeliveryStatus.PUBLISHED):
            message.sent_at = timezone.now()
        message.save(
            update_fields=[
                "delivery_status",
                "delivery_error",
                "sent_at",
                "delivery_attempts",
                "next_delivery_at",
            ]
        )
        if receipt.status == DeliveryStatus.FAILED:
            from guichet.cases.actions import append_event
            from guichet.cases.models import EventKind

            append_event(
                message.case,
                EventKind.DELIVERY_FAILED,
                message=message,
                data={"error": receipt.error[:500], "channel": message.channel},
            )
    return receipt


def is_transient(exc: Exception) -> bool:
    """A failure worth retrying: the network or the server, not the message (a 5xx refusal)."""
    if isinstance(exc, AnymailAPIError):
        from guichet.channels.email.providers import is_transient_provider_error

        return is_transient_provider_error(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _message in exc.recipients.values())
    return isinstance(exc, OSError | smtplib.SMTPException)


def due_deliveries(limit: int = 200) -> list[int]:
    """Queued messages whose retry time has come, or whose delivery task was lost (queued for
    more than ten minutes without an attempt)."""
    now = timezone.now()
    return list(
        Message.objects.filter(delivery_status=DeliveryStatus.QUEUED)
        .filter(
            Q(next_delivery_at__lte=now)
            | Q(next_delivery_at__isnull=True, created_at__lte=now - timedelta(minutes=10))
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
