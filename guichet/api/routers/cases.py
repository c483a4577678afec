"""Cases: list with filters, read one with its exchange, reply to the citizen.

Every read starts from the caller's scope (`Principal.cases()`): an integration's token sees its
organization, an agent what the desk shows them. A case outside the scope is a 404, the same answer
as for a reference that does not exist.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from guichet.api.auth import TOKEN_OR_SESSION, Principal, principal_of
from guichet.api.schemas import (
    TEXT_MAX_LENGTH,
    CaseDetailOut,
    CaseSummaryOut,
    CitizenSummaryOut,
    ErrorOut,
    ValidationErrorOut,
    case_summary,
    clean_text,
    contact_point_out,
    event_out,
    messages_out,
)
from guichet.audit.actions import record_audit
from guichet.cases.actions import CaseAccessDenied, do_reply_case, record_case_view
from guichet.cases.lifecycle import Status as CaseStatus
from guichet.cases.models import Case
from guichet.conversations.models import Attachment, Direction, Message

router = Router(tags=["cases"])

PAGE_MAX = 200
REFERENCE_MAX_LENGTH = Case._meta.get_field("reference").max_length or 32


class CaseFilters(Schema):
    limit: int = Field(50, ge=1, le=PAGE_MAX, description=f"Page size, at most {PAGE_MAX}.")
    offset: int = Field(0, ge=0, le=1_000_000_000)
    status: str | None = Field(None, description="One of " + ", ".join(CaseStatus.values) + ".")
    department: str | None = Field(None, max_length=60, description="Department slug.")
    topic: str | None = Field(None, max_length=60, description="Topic slug.")
    updated_since: datetime | None = Field(
        None,
        description="Only cases changed at or after this time (ISO 8601, e.g. 2026-03-01T08:00:00Z;"
        " without an offset, the server's time zone).",
    )

    @field_validator("department", "topic")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value)

    @field_validator("updated_since")
    @classmethod
    def _plausible_date(cls, value: datetime | None) -> datetime | None:
        # Years at the ends of the calendar overflow once converted between time zones.
        if value is not None and not 1900 <= value.year <= 9000:
            raise ValueError("updated_since must be a date between the years 1900 and 9000")
        return value

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        if value is not None and value not in CaseStatus.values:
            raise ValueError(
                f"unknown status {value!r}; use one of " + ", ".join(CaseStatus.values)
            )
        return value


class CasePageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseSummaryOut]


class ReplyIn(Schema):
    text: str = Field(max_length=TEXT_MAX_LENGTH)
    channel: str | None = Field(
        None, max_length=20, description="Defaults to the channel the citizen last wrote on."
    )

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_text(value)


class ReplyOut(Schema):
    id: int
    case_reference: str
    channel: str
    recipient_address: str
    delivery_status: str
    created_at: datetime


def _scoped_case(principal: Principal, reference: str) -> Case:
    if len(reference) > REFERENCE_MAX_LENGTH or "\x00" in reference:
        raise CaseAccessDenied(reference[:REFERENCE_MAX_LENGTH])
    case = (
        principal.cases()
        .select_related("organization", "citizen", "topic", "department", "assignee")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise CaseAccessDenied(reference)
    return case


def filtered_cases(principal: Principal, filters: CaseFilters) -> QuerySet[Case]:
    cases = principal.cases()
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.department:
        cases = cases.filter(department__slug=filters.department)
    if filters.topic:
        cases = cases.filter(topic__slug=filters.topic)
    if filters.updated_since is not None:
        since = filters.updated_since
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        cases = cases.filter(updated_at__gte=since)
    return cases


@router.get(
    "/cases",
    auth=TOKEN_OR_SESSION,
    url_name="case_list",
    summary="List cases",
    response={200: CasePageOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> CasePageOut:
    """Cases the caller may see, most recently changed first, `limit` at a time."""
    cases = filtered_cases(principal_of(request), filters)
    count = cases.count()
    page = cases.select_related("topic", "department", "assignee").order_by("-updated_at", "-pk")[
        filters.offset : filters.offset + filters.limit
    ]
    return CasePageOut(
        count=count,
        limit=filters.limit,
        offset=filters.offset,
        items=[case_summary(request, case) for case in page],
    )


@router.get(
    "/cases/{reference}",
    auth=TOKEN_OR_SESSION,
    url_name="case_detail",
    summary="Read a case",
    response={200: CaseDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def get_case(request: HttpRequest, reference: str) -> CaseDetailOut:
    """The case with the citizen, the public exchange (messages from and to the citizen), the
    timeline and, for agents signed in to the desk, the internal notes."""
    principal = principal_of(request)
    case = _scoped_case(principal, reference)
    messages = list(
        Message.objects.filter(case=case)
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    public = [m for m in messages if m.direction != Direction.NOTE]
    notes = [m for m in messages if m.direction == Direction.NOTE]
    events = case.events.select_related("actor").order_by("created_at", "pk")
    summary = case_summary(request, case)
    if principal.user is not None:
        record_case_view(case, actor=principal.user)
    else:
        record_audit("case.viewed", case, actor_label=f"API token {principal.label}")
    return CaseDetailOut(
        **summary.model_dump(),
        citizen=CitizenSummaryOut(
            id=case.citizen.pk,
            display_name=case.citizen.display_name,
            contact_points=[contact_point_out(p) for p in case.citizen.contact_points.all()],
        ),
        messages=messages_out(public),
        notes=messages_out(notes) if principal.user is not None else None,
        events=[event_out(e) for e in events],
    )


@router.post(
    "/cases/{reference}/replies",
    auth=TOKEN_OR_SESSION,
    url_name="case_replies",
    summary="Reply to the citizen",
    response={
        201: ReplyOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut | ErrorOut,
    },
)
def post_reply(request: HttpRequest, reference: str, payload: ReplyIn) -> Status:
    """Answer the citizen, by default on the channel they last wrote on. The message is stored and
    delivered in the background; on SMS, WhatsApp and other integration channels it waits in the
    outbox (`GET /outbox`) for the integration to deliver it."""
    principal = principal_of(request)
    case = _scoped_case(principal, reference)
    if principal.token is not None:
        message = do_reply_case(
            case, payload.text, actor=None, actor_label=principal.label, channel=payload.channel
        )
    else:
        message = do_reply_case(case, payload.text, actor=principal.user, channel=payload.channel)
    # Delivery may already have run (tasks enqueued on commit); report the status as it is now.
    message.refresh_from_db(fields=["delivery_status"])
    return Status(
        201,
        ReplyOut(
            id=message.pk,
            case_reference=case.reference,
            channel=message.channel,
            recipient_address=message.recipient_address,
            delivery_status=message.delivery_status,
            created_at=message.created_at,
        ),
    )
