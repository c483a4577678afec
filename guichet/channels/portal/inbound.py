"""Portal submissions turned into `InboundMessage`s: a new request and a reply on the tracking page.

The functions here are pure: the view has already checked the form (contacts normalised, files
checked); they only shape what the pipeline receives. `raw` keeps the submitted fields as a JSON
document (file names, types, sizes and hashes, never file contents) so the raw record says exactly
what the citizen sent, and `fingerprint` tells a double submission from an edited resubmission.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from guichet.channels.base import InboundAttachment, InboundMessage
from guichet.conversations.models import Channel

PORTAL = Channel.PORTAL.value
RAW_FILENAME = "form.json"


@dataclass(frozen=True)
class PortalRequest:
    """A request form as the citizen filled it in, already validated and normalised."""

    subject: str
    text: str
    name: str
    email: str = ""
    phone: str = ""
    topic_slug: str = ""
    attachments: tuple[InboundAttachment, ...] = ()


@dataclass(frozen=True)
class PortalReply:
    """A message written on the tracking page of a case."""

    case_id: int
    case_reference: str
    subject: str
    text: str
    sender_address: str
    sender_name: str = ""
    attachments: tuple[InboundAttachment, ...] = ()


def _describe_files(attachments: Sequence[InboundAttachment]) -> list[dict[str, object]]:
    return [
        {
            "filename": item.filename,
            "content_type": item.content_type,
            "size": len(item.content),
            "sha256": hashlib.sha256(item.content).hexdigest(),
        }
        for item in attachments
    ]


def _json_bytes(document: dict[str, object]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")


def request_raw(request: PortalRequest) -> bytes:
    """The submitted fields as UTF-8 JSON (no file contents)."""
    return _json_bytes(
        {
            "form": "request",
            "topic": request.topic_slug,
            "subject": request.subject,
            "message": request.text,
            "name": request.name,
            "email": request.email,
            "phone": request.phone,
            "attachments": _describe_files(request.attachments),
        }
    )


def reply_raw(reply: PortalReply) -> bytes:
    return _json_bytes(
        {
            "form": "reply",
            "case": reply.case_reference,
            "message": reply.text,
            "attachments": _describe_files(reply.attachments),
        }
    )


def build_request_message(
    request: PortalRequest, *, nonce: str, received_at: datetime | None = None
) -> InboundMessage:
    """A new request from the portal form. The email address, when given, is the main contact
    point (acknowledgements and replies go there) and the phone an extra one; otherwise the phone
    is the main contact point. `nonce` is the form's one-time identifier: a second submission of the
    same form has the same external id and is recognised by the pipeline."""
    if not request.email and not request.phone:
        raise ValueError("a portal request needs an email address or a phone number")
    sender = request.email or request.phone
    extra = (request.phone,) if request.email and request.phone else ()
    return InboundMessage(
        channel=PORTAL,
        external_id=nonce,
        sender_address=sender,
        sender_name=request.name,
        subject=request.subject,
        text=request.text,
        received_at=received_at,
        attachments=tuple(request.attachments),
        extra_contacts=extra,
        topic_hint=request.topic_slug,
        raw=request_raw(request),
        raw_filename=RAW_FILENAME,
    )


def build_reply_message(
    reply: PortalReply, *, nonce: str, received_at: datetime | None = None
) -> InboundMessage:
    """A message written on a case's tracking page: the pipeline threads it into `case_id` (or
    opens a follow-up request if that case is closed)."""
    if not reply.sender_address:
        raise ValueError("a portal reply needs the citizen's contact point")
    return InboundMessage(
        channel=PORTAL,
        external_id=nonce,
        sender_address=reply.sender_address,
        sender_name=reply.sender_name,
        subject=reply.subject,
        text=reply.text,
        received_at=received_at,
        attachments=tuple(reply.attachments),
        case_id=reply.case_id,
        raw=reply_raw(reply),
        raw_filename=RAW_FILENAME,
    )


def fingerprint(inbound: InboundMessage) -> str:
    """What was submitted, as a hash: the same form sent twice has the same fingerprint."""
    return hashlib.sha256(inbound.raw).hexdigest()
