"""Inbound messages from integrations (SMS gateway, WhatsApp provider, telephony, chat...).

The body becomes one `InboundMessage` handed to the intake pipeline, exactly as the email and portal
channels do; the raw request body is kept on the inbound record.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re

from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Router, Schema, Status
from pydantic import Field, ValidationInfo, field_validator

from guichet.api.auth import TOKEN_ONLY, token_of
from guichet.api.errors import InvalidInput
from guichet.api.schemas import (
    TEXT_MAX_LENGTH,
    ErrorOut,
    ValidationErrorOut,
    case_url,
    clean_text,
)
from guichet.channels.base import InboundAttachment, InboundMessage
from guichet.citizens.identity import OPAQUE_ID_CHANNELS, InvalidContactPoint, normalise_contact
from guichet.citizens.models import ContactKind
from guichet.conversations.models import Channel
from guichet.intake.models import RecordStatus
from guichet.intake.pipeline import receive
from guichet.organizations.models import Topic

router = Router(tags=["messages"])

# The portal has its own form; every other channel may come through an integration.
INBOUND_CHANNELS: tuple[str, ...] = tuple(c for c in Channel.values if c != Channel.PORTAL)
# Channels on which the sender can only be a phone number.
PHONE_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.PHONE})
MAX_ATTACHMENTS = 20
IDEMPOTENCY_KEY_MAX_LENGTH = 200
_WHITESPACE = re.compile(r"\s+")


class AttachmentIn(Schema):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=120)
    content_base64: str = Field(description="The file's content, base64-encoded (RFC 4648).")

    @field_validator("filename", "content_type")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_text(value).strip()

    @field_validator("content_base64")
    @classmethod
    def _base64(cls, value: str) -> str:
        compact = _WHITESPACE.sub("", value)
        try:
            binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError):
            raise ValueError("not valid base64") from None
        return compact

    def content(self) -> bytes:
        return binascii.a2b_base64(self.content_base64.encode("ascii"))


class MessageIn(Schema):
    channel: str = Field(
        description="The channel the citizen wrote on.",
        json_schema_extra={"enum": list(INBOUND_CHANNELS)},
    )
    external_id: str = Field(
        min_length=1,
        max_length=300,
        description="The message's identifier on that channel; a second message with the same "
        "channel and identifier is recognised as a duplicate.",
    )
    sender: str = Field(
        min_length=1, max_length=320, description="The citizen's email address or phone number."
    )
    name: str = Field("", max_length=200, description="The citizen's name, if known.")
    subject: str = Field("", max_length=300)
    text: str = Field(max_length=TEXT_MAX_LENGTH)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    topic: str = Field(
        "", max_length=60, description="Slug of the topic, when the citizen chose one."
    )

    @field_validator("name", "subject", "topic", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        """`null` and a missing field mean the same: nothing given."""
        return "" if value is None else value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value == Channel.PORTAL:
            raise ValueError(
                "portal messages come from the portal form, not the API; use one of "
                + ", ".join(INBOUND_CHANNELS)
            )
        if value not in INBOUND_CHANNELS:
            raise ValueError(
                f"unknown channel {value!r}; use one of " + ", ".join(INBOUND_CHANNELS)
            )
        return value

    @field_validator("external_id", "name", "subject", "text", "topic")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_text(value).strip()

    @field_validator("external_id", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str, info: ValidationInfo) -> str:
        value = clean_text(value).strip()
        channel = info.data.get("channel", "")
        try:
            contact = normalise_contact(value, channel=channel)
        except InvalidContactPoint as exc:
            raise ValueError(str(exc)) from None
        if contact.kind == ContactKind.OTHER and channel not in OPAQUE_ID_CHANNELS:
            raise ValueError(f"not an email address or a phone number: {value!r}")
        if channel in PHONE_CHANNELS and contact.kind != ContactKind.PHONE:
            raise ValueError(f"a {channel} sender must be a phone number, not {value!r}")
        if channel == Channel.EMAIL and contact.kind != ContactKind.EMAIL:
            raise ValueError(f"an email sender must be an email address, not {value!r}")
        return value


class MessageAcceptedOut(Schema):
    reference: str
    case_url: str
    status: str = Field(description="Status of the inbound record: processed.")
    case_status: str
    duplicate: bool
    record_id: int


class MessageKeptOut(Schema):
    reference: None
    status: str = Field(description="Status of the inbound record: failed (retried) or held.")
    duplicate: bool
    record_id: int
    detail: str


def fingerprint_of(payload: MessageIn) -> str:
    """SHA-256 of the request in canonical JSON (validated fields, sorted keys, no spaces)."""
    canonical = json.dumps(
        payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _kept_detail(status: str, step: str) -> str:
    if status == RecordStatus.FAILED:
        return (
            f"The message is stored but could not be processed (step: {step}); it will be retried"
            " automatically. Nothing is lost: ask again with the same Idempotency-Key to know the"
            " outcome."
        )
    return (
        f"The message is stored but kept aside for an administrator (step: {step}). Nothing is"
        " lost."
    )


@router.post(
    "/messages",
    auth=TOKEN_ONLY,
    url_name="post_message",
    summary="Hand over a message from a citizen",
    response={
        200: MessageAcceptedOut,
        201: MessageAcceptedOut,
        202: MessageKeptOut,
        400: ErrorOut,
        401: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ValidationErrorOut,
    },
)
def post_message(
    request: HttpRequest,
    payload: MessageIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Any unique string (e.g. a UUID); repeating a request with the same key "
        "returns the first answer instead of creating a second case.",
    ),
) -> Status:
    """Open a case (or add to the citizen's current one) from a message received by an integration.

    Answers 201 with the case reference; 200 with `duplicate: true` when the same message (same
    Idempotency-Key, or same channel and external_id) was already received; 202 when the message
    is stored but could not be processed yet; 409 when the Idempotency-Key was used for another
    request."""
    token = token_of(request)
    organization = token.organization
    try:
        key = clean_text(idempotency_key).strip() or None
    except ValueError as exc:
        raise InvalidInput("Idempotency-Key", str(exc)) from None
    if (
        payload.topic
        and not Topic.objects.filter(
            organization=organization, slug=payload.topic, is_active=True
        ).exists()
    ):
        known = ", ".join(
            Topic.objects.filter(organization=organization, is_active=True)
            .order_by("slug")
            .values_list("slug", flat=True)
        )
        raise InvalidInput(
            "topic", f"unknown topic {payload.topic!r}; known topics: {known or 'none'}"
        )
    inbound = InboundMessage(
        channel=payload.channel,
        external_id=payload.external_id,
        sender_address=payload.sender,
        sender_name=payload.name,
        subject=payload.subject,
        text=payload.text,
        received_at=timezone.now(),
        attachments=tuple(
            InboundAttachment(filename=a.filename, content_type=a.content_type, content=a.content())
            for a in payload.attachments
        ),
        topic_hint=payload.topic,
        raw=request.body,
        raw_filename="request.json",
    )
    reception = receive(
        organization,
        inbound,
        idempotency_key=key,
        fingerprint=fingerprint_of(payload),
        api_token=token,
    )
    record = reception.record
    case = reception.case
    if case is None:
        return Status(
            202,
            MessageKeptOut(
                reference=None,
                status=record.status,
                duplicate=reception.duplicate,
                record_id=record.pk,
                detail=_kept_detail(record.status, record.failed_step),
            ),
        )
    return Status(
        200 if reception.duplicate else 201,
        MessageAcceptedOut(
            reference=case.reference,
            case_url=case_url(request, case.reference),
            status=record.status,
            case_status=case.status,
            duplicate=reception.duplicate,
            record_id=record.pk,
        ),
    )
