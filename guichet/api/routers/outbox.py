"""The outbox: messages Guichet cannot deliver itself (SMS, WhatsApp, phone...) wait here for the
organization's integration, which collects them and reports their delivery.

1. `GET /outbox` lists outbound messages with delivery status `awaiting_integration`;
2. the integration sends them through its provider;
3. `POST /outbox/{id}/receipt` reports `sent` or `failed` (with the provider's error).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field, field_validator

from guichet.api.auth import TOKEN_ONLY, token_of
from guichet.api.errors import NotFound
from guichet.api.schemas import MAX_ID, ErrorOut, ValidationErrorOut, clean_text
from guichet.conversations.actions import (
    DeliveryReceiptConflict,
    OutboundMessageNotFound,
    do_record_delivery_receipt,
)
from guichet.conversations.delivery import tracking_url
from guichet.conversations.models import Channel, DeliveryStatus, Direction, Message
from guichet.organizations.models import ApiToken

router = Router(tags=["outbox"])

OUTBOX_MAX = 500


class OutboxFilters(Schema):
    channel: str | None = Field(None, max_length=20, description="Only this channel (e.g. sms).")
    limit: int = Field(100, ge=1, le=OUTBOX_MAX, description=f"At most {OUTBOX_MAX}.")

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and value not in Channel.values:
            raise ValueError(f"unknown channel {value!r}; use one of " + ", ".join(Channel.values))
        return value


class OutboxMessageOut(Schema):
    id: int
    channel: str
    recipient: str
    recipient_name: str
    subject: str
    text: str
    case_reference: str
    tracking_url: str
    is_automatic: bool
    created_at: datetime


class OutboxPageOut(Schema):
    count: int
    items: list[OutboxMessageOut]


class ReceiptIn(Schema):
    status: Literal["sent", "failed"]
    error: str | None = Field(None, max_length=2000, description="The provider's error, if failed.")

    @field_validator("error")
    @classmethod
    def _error(cls, value: str | None) -> str:
        return clean_text(value).strip()


class ReceiptOut(Schema):
    id: int
    delivery_status: str
    sent_at: datetime | None
    delivery_error: str


def _awaiting(token: ApiToken) -> QuerySet[Message]:
    return Message.objects.filter(
        organization_id=token.organization_id,
        direction=Direction.OUTBOUND,
        delivery_status=DeliveryStatus.AWAITING_INTEGRATION,
    )


@router.get(
    "/outbox",
    auth=TOKEN_ONLY,
    url_name="outbox",
    summary="Messages waiting for the integration",
    response={200: OutboxPageOut, 401: ErrorOut, 422: ValidationErrorOut},
)
def list_outbox(request: HttpRequest, filters: Query[OutboxFilters]) -> OutboxPageOut:
    """Outbound messages of the token's organization that wait for the integration to deliver
    them, oldest first. A message stays here until its receipt is posted."""
    token = token_of(request)
    messages = _awaiting(token)
    if filters.channel:
        messages = messages.filter(channel=filters.channel)
    count = messages.count()
    page = messages.select_related("case", "case__citizen").order_by("created_at", "pk")[
        : filters.limit
    ]
    slug = token.organization.slug
    return OutboxPageOut(
        count=count,
        items=[
            OutboxMessageOut(
                id=m.pk,
                channel=m.channel,
                recipient=m.recipient_address,
                recipient_name=m.case.citizen.display_name,
                subject=m.subject,
                text=m.text,
                case_reference=m.case.reference,
                tracking_url=tracking_url(m.case.tracking_token, slug),
                is_automatic=m.is_automatic,
                created_at=m.created_at,
            )
            for m in page
        ],
    )


@router.post(
    "/outbox/{message_id}/receipt",
    auth=TOKEN_ONLY,
    url_name="outbox_receipt",
    summary="Report the delivery of a message",
    response={
        200: ReceiptOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
)
def post_receipt(
    request: HttpRequest, payload: ReceiptIn, message_id: int = Path(..., ge=1, le=MAX_ID)
) -> ReceiptOut:
    """Report that a message from the outbox was sent, or failed (with the provider's error)."""
    token = token_of(request)
    try:
        message = do_record_delivery_receipt(
            token.organization_id,
            message_id,
            payload.status,
            payload.error or "",
            actor_label=f"API token {token.name}",
        )
    except OutboundMessageNotFound:
        raise NotFound("No such outbound message.") from None
    except DeliveryReceiptConflict as exc:
        raise HttpError(409, str(exc)) from None
    return ReceiptOut(
        id=message.pk,
        delivery_status=message.delivery_status,
        sent_at=message.sent_at,
        delivery_error=message.delivery_error,
    )
