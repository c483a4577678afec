"""Schemas shared by several routers (errors, cases, messages) and the functions that fill them.

Output schemas are filled explicitly from model instances loaded by the routers with the related
rows they need, so what the API shows is written down here, field by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Schema

from guichet.cases.models import Case, CaseEvent, Priority
from guichet.citizens.models import ContactPoint
from guichet.conversations.models import Attachment, Message

API_NAMESPACE = "api-v1"
# Identifiers are 64-bit database integers; a larger number cannot name a record.
MAX_ID = 2**63 - 1
# Longest text accepted in a message or a reply.
TEXT_MAX_LENGTH = 100_000


def clean_text(value: str | None) -> str:
    """Refuse what the database cannot store: NUL characters and lone surrogates (`"\\ud800"` is
    valid JSON but not valid UTF-8)."""
    if value is None:
        return ""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains characters that are not valid Unicode text") from None
    return value


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


class NamedRefOut(Schema):
    slug: str
    name: str


class ContactPointOut(Schema):
    kind: str
    channel: str
    value: str
    last_seen_at: datetime


class CitizenSummaryOut(Schema):
    id: int
    display_name: str
    contact_points: list[ContactPointOut]


class CaseSummaryOut(Schema):
    reference: str
    url: str
    subject: str
    status: str
    priority: str
    channel: str
    topic: NamedRefOut | None
    department: NamedRefOut | None
    assignee: str | None
    citizen_id: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    is_overdue: bool


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    available: bool
    refused_reason: str


class MessageOut(Schema):
    id: int
    direction: str
    channel: str
    sender_name: str
    sender_address: str
    recipient_address: str
    subject: str
    text: str
    created_at: datetime
    delivery_status: str
    sent_at: datetime | None
    attachments: list[AttachmentOut]


class EventOut(Schema):
    kind: str
    actor: str
    created_at: datetime
    message_id: int | None
    data: dict[str, Any]


class CaseDetailOut(CaseSummaryOut):
    citizen: CitizenSummaryOut
    messages: list[MessageOut]
    notes: list[MessageOut] | None
    events: list[EventOut]


def case_url(request: HttpRequest, reference: str) -> str:
    return request.build_absolute_uri(
        reverse(f"{API_NAMESPACE}:case_detail", kwargs={"reference": reference})
    )


def priority_name(value: int) -> str:
    try:
        return Priority(value).name.lower()
    except ValueError:
        return str(value)


def case_summary(request: HttpRequest, case: Case) -> CaseSummaryOut:
    """Needs `topic`, `department` and `assignee` loaded (select_related) to stay one query."""
    return CaseSummaryOut(
        reference=case.reference,
        url=case_url(request, case.reference),
        subject=case.subject,
        status=case.status,
        priority=priority_name(case.priority),
        channel=case.channel,
        topic=NamedRefOut(slug=case.topic.slug, name=case.topic.name) if case.topic else None,
        department=(
            NamedRefOut(slug=case.department.slug, name=case.department.name)
            if case.department
            else None
        ),
        assignee=str(case.assignee) if case.assignee else None,
        citizen_id=case.citizen_id,
        created_at=case.created_at,
        updated_at=case.updated_at,
        due_at=case.due_at,
        is_overdue=case.is_overdue,
    )


def contact_point_out(point: ContactPoint) -> ContactPointOut:
    return ContactPointOut(
        kind=point.kind, channel=point.channel, value=point.value, last_seen_at=point.last_seen_at
    )


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        available=attachment.is_available,
        refused_reason=attachment.refused_reason,
    )


def message_out(message: Message) -> MessageOut:
    """Needs `attachments` prefetched."""
    return MessageOut(
        id=message.pk,
        direction=message.direction,
        channel=message.channel,
        sender_name=message.sender_name,
        sender_address=message.sender_address,
        recipient_address=message.recipient_address,
        subject=message.subject,
        text=message.text,
        created_at=message.created_at,
        delivery_status=message.delivery_status,
        sent_at=message.sent_at,
        attachments=[attachment_out(a) for a in message.attachments.all()],
    )


def event_out(event: CaseEvent) -> EventOut:
    """Needs `actor` loaded."""
    return EventOut(
        kind=event.kind,
        actor=event.actor_label or (str(event.actor) if event.actor else ""),
        created_at=event.created_at,
        message_id=event.message_id,
        data=event.data if isinstance(event.data, dict) else {"value": event.data},
    )


def messages_out(messages: Iterable[Message]) -> list[MessageOut]:
    return [message_out(m) for m in messages]
