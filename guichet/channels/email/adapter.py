"""Sending email replies through Django's email backend, with headers that thread back."""

from __future__ import annotations

from typing import ClassVar

from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from guichet.channels.base import DeliveryReceipt, OutboundMessage
from guichet.conversations.models import Channel, DeliveryStatus


class EmailAdapter:
    channel: ClassVar[str] = Channel.EMAIL
    delivers_itself: ClassVar[bool] = True

    def send(self, outbound: OutboundMessage) -> DeliveryReceipt:
        body = outbound.text
        if outbound.tracking_url and not outbound.is_automatic:
            body += "\n\n-- \n" + _(
                "Your request %(reference)s: follow it and answer at %(url)s"
            ) % {"reference": outbound.case_reference, "url": outbound.tracking_url}
        headers = {"Message-ID": f"<{outbound.email_message_id}>"}
        if outbound.in_reply_to:
            headers["In-Reply-To"] = f"<{outbound.in_reply_to}>"
        if outbound.references:
            headers["References"] = " ".join(f"<{ref}>" for ref in outbound.references)
        if outbound.case_reference:
            headers["X-Guichet-Reference"] = outbound.case_reference
        if outbound.is_automatic:
            # RFC 3834: an acknowledgement is automatic; robots must not answer it.
            headers["Auto-Submitted"] = "auto-replied"
        email = EmailMessage(
            subject=outbound.subject,
            body=body,
            from_email=outbound.from_address,
            to=[outbound.recipient_address],
            reply_to=[outbound.reply_to] if outbound.reply_to else None,
            headers=headers,
        )
        for attachment in outbound.attachments:
            email.attach(attachment.filename, attachment.content, attachment.content_type)
        email.send(fail_silently=False)
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=outbound.email_message_id)
