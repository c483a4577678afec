"""Portal replies are published on the tracking page; the citizen is told by email if possible."""

from __future__ import annotations

from typing import ClassVar

from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from guichet.channels.base import DeliveryReceipt, OutboundMessage
from guichet.conversations.models import Channel, DeliveryStatus


class PortalAdapter:
    channel: ClassVar[str] = Channel.PORTAL
    delivers_itself: ClassVar[bool] = False

    def send(self, outbound: OutboundMessage) -> DeliveryReceipt:
        if "@" in outbound.recipient_address:
            # Acknowledgements already carry the reference and the link; replies are wrapped.
            notice = (
                outbound.text
                if outbound.is_automatic
                else _(
                    "Hello,\n\n%(organization)s has written to you about your request %(reference)s.\n\n"
                    "%(text)s\n\nTo answer, or to follow your request, open this private link:\n"
                    "%(url)s\n"
                )
                % {
                    "organization": outbound.organization_name,
                    "reference": outbound.case_reference,
                    "text": outbound.text,
                    "url": outbound.tracking_url,
                }
            )
            headers = {
                "Message-ID": f"<{outbound.email_message_id}>",
                "X-Guichet-Reference": outbound.case_reference,
            }
            if outbound.is_automatic:
                headers["Auto-Submitted"] = "auto-replied"
            EmailMessage(
                subject=outbound.subject,
                body=notice,
                from_email=outbound.from_address,
                to=[outbound.recipient_address],
                headers=headers,
            ).send(fail_silently=False)
        return DeliveryReceipt(DeliveryStatus.PUBLISHED)
