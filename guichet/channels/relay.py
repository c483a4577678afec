"""Channels whose messages an integration delivers (SMS gateway, WhatsApp provider, telephony...).

Guichet keeps the outbound message as "waiting for the integration"; the integration collects it
from `GET /api/v1/outbox` and reports delivery to `POST /api/v1/outbox/{id}/receipt`.
"""

from __future__ import annotations

from typing import ClassVar

from guichet.channels.base import DeliveryReceipt, OutboundMessage
from guichet.conversations.models import DeliveryStatus


class IntegrationRelayAdapter:
    channel: ClassVar[str] = "*"
    delivers_itself: ClassVar[bool] = False

    def send(self, outbound: OutboundMessage) -> DeliveryReceipt:
        return DeliveryReceipt(DeliveryStatus.AWAITING_INTEGRATION)
