"""Citizen records: contact points, and the cases and conversations the caller may see."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Path, Router, Schema

from guichet.api.auth import TOKEN_OR_SESSION, principal_of
from guichet.api.schemas import (
    MAX_ID,
    CaseSummaryOut,
    ContactPointOut,
    ErrorOut,
    ValidationErrorOut,
    case_summary,
    contact_point_out,
)
from guichet.audit.actions import record_audit
from guichet.citizens.actions import CitizenAccessDenied
from guichet.conversations.models import Conversation

router = Router(tags=["citizens"])


class ConversationOut(Schema):
    id: int
    channel: str
    contact_value: str
    subject: str
    case_reference: str
    created_at: datetime
    last_message_at: datetime


class CitizenOut(Schema):
    id: int
    display_name: str
    preferred_channel: str
    preferred_language: str
    merged_into: int | None
    created_at: datetime
    contact_points: list[ContactPointOut]
    cases: list[CaseSummaryOut]
    conversations: list[ConversationOut]


@router.get(
    "/citizens/{citizen_id}",
    auth=TOKEN_OR_SESSION,
    url_name="citizen_detail",
    summary="Read a citizen record",
    response={
        200: CitizenOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
)
def get_citizen(request: HttpRequest, citizen_id: int = Path(..., ge=1, le=MAX_ID)) -> CitizenOut:
    """The citizen's contact points, with the cases and conversations the caller may see (an agent
    sees the cases of their departments only). A record merged into another says so in
    `merged_into`; its cases and conversations moved to that record."""
    principal = principal_of(request)
    citizen = principal.citizens().filter(pk=citizen_id).first()
    if citizen is None:
        raise CitizenAccessDenied(citizen_id)
    cases = list(
        principal.cases()
        .filter(citizen=citizen)
        .select_related("topic", "department", "assignee")
        .order_by("-created_at", "-pk")
    )
    conversations = (
        Conversation.objects.filter(citizen=citizen, case__in=[c.pk for c in cases])
        .select_related("case")
        .order_by("-last_message_at", "-pk")
    )
    if principal.user is not None:
        record_audit("citizen.viewed", citizen, actor=principal.user)
    else:
        record_audit("citizen.viewed", citizen, actor_label=f"API token {principal.label}")
    return CitizenOut(
        id=citizen.pk,
        display_name=citizen.display_name,
        preferred_channel=citizen.preferred_channel,
        preferred_language=citizen.preferred_language,
        merged_into=citizen.merged_into_id,
        created_at=citizen.created_at,
        contact_points=[contact_point_out(p) for p in citizen.contact_points.all()],
        cases=[case_summary(request, case) for case in cases],
        conversations=[
            ConversationOut(
                id=c.pk,
                channel=c.channel,
                contact_value=c.contact_value,
                subject=c.subject,
                case_reference=c.case.reference,
                created_at=c.created_at,
                last_message_at=c.last_message_at,
            )
            for c in conversations
        ],
    )
