"""Reads on cases for the agent desk: the queue, its counters, the timeline and the choices offered
by the case page. Every read starts from `Case.objects.visible_to(user)` (or from a case the caller
already obtained through `access_case`), and each helper runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from guichet.cases.lifecycle import ACTIVE_STATUSES, Status
from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.conversations.models import Attachment, Message
from guichet.core.scopes import access_scope
from guichet.organizations.models import Department, Membership, Role, Topic

if TYPE_CHECKING:
    from guichet.organizations.models import User


# ---------------------------------------------------------------------------------------------
# The queue

STATUS_ACTIVE = "active"
STATUS_ALL = "all"
ASSIGNMENT_ALL = "all"
ASSIGNMENT_UNASSIGNED = "unassigned"
ASSIGNMENT_MINE = "mine"
SORT_DUE = "due"
SORT_PRIORITY = "priority"
SORT_CREATED = "created"


@dataclass(frozen=True)
class QueueFilters:
    """What the agent asked the queue for. Ids are trusted only after the caller checked them
    against `queue_departments` / `queue_topics`; the visibility scope applies in any case."""

    status: str = STATUS_ACTIVE
    topic_id: int | None = None
    department_id: int | None = None
    assignment: str = ASSIGNMENT_ALL
    overdue_only: bool = False
    sort: str = SORT_DUE


@dataclass(frozen=True)
class QueueCounters:
    unassigned: int
    mine: int
    overdue: int


def _ordering(sort: str) -> list[Any]:
    due_first = F("due_at").asc(nulls_last=True)
    if sort == SORT_PRIORITY:
        return [F("priority").desc(), due_first, "pk"]
    if sort == SORT_CREATED:
        return [F("created_at").desc(), F("pk").desc()]
    return [due_first, F("priority").desc(), "pk"]


def queue_cases(user: Any, filters: QueueFilters) -> models.QuerySet[Case]:
    """The cases of the agent's queue, filtered and sorted, with what the table shows joined in
    (one query per page, whatever the number of rows)."""
    cases = Case.objects.visible_to(user)
    if filters.status == STATUS_ACTIVE:
        cases = cases.filter(status__in=ACTIVE_STATUSES)
    elif filters.status in Status.values:
        cases = cases.filter(status=filters.status)
    if filters.topic_id is not None:
        cases = cases.filter(topic_id=filters.topic_id)
    if filters.department_id is not None:
        cases = cases.filter(department_id=filters.department_id)
    if filters.assignment == ASSIGNMENT_UNASSIGNED:
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignment == ASSIGNMENT_MINE:
        cases = cases.filter(assignee_id=getattr(user, "pk", None))
    if filters.overdue_only:
        cases = cases.filter(status__in=ACTIVE_STATUSES, due_at__lt=timezone.now())
    return (
        cases.select_related("organization", "citizen", "topic", "department", "assignee")
        .annotate(
            last_activity_at=Greatest(
                "updated_at",
                Coalesce("last_inbound_at", "updated_at"),
                output_field=models.DateTimeField(),
            )
        )
        .order_by(*_ordering(filters.sort))
    )


def queue_counters(user: Any) -> QueueCounters:
    """Active cases visible to the user: unassigned, assigned to them, overdue (one query)."""
    totals = (
        Case.objects.visible_to(user)
        .filter(status__in=ACTIVE_STATUSES)
        .aggregate(
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            mine=Count("pk", filter=Q(assignee_id=getattr(user, "pk", None))),
            overdue=Count("pk", filter=Q(due_at__lt=timezone.now())),
        )
    )
    return QueueCounters(totals["unassigned"], totals["mine"], totals["overdue"])


def queue_departments(user: Any) -> models.QuerySet[Department]:
    """Departments whose cases the user sees: all of their organizations for supervisors and
    administrators, their own departments for agents."""
    scope = access_scope(user)
    departments = Department.objects.select_related("organization").order_by(
        "organization__name", "name"
    )
    if scope.is_platform_admin:
        return departments
    return departments.filter(
        Q(organization_id__in=scope.whole_organization_ids)
        | Q(organization_id__in=scope.member_organization_ids, pk__in=scope.department_ids)
    )


def queue_topics(user: Any) -> models.QuerySet[Topic]:
    """Topics of the user's organizations (topics are not confidential within an organization)."""
    scope = access_scope(user)
    topics = Topic.objects.select_related("organization").order_by("organization__name", "name")
    if scope.is_platform_admin:
        return topics
    return topics.filter(organization_id__in=scope.member_organization_ids)


# ---------------------------------------------------------------------------------------------
# The case timeline

# Events that only say "this message exists": the message itself stands for them on the timeline.
_MESSAGE_EVENTS = frozenset(
    {EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_SENT, EventKind.NOTE_ADDED}
)


@dataclass
class TimelineEntry:
    """One line of the timeline: a message (with its attachments and, for an inbound message, the
    reception steps the pipeline recorded for it) or a case event."""

    at: datetime
    message: Message | None = None
    event: CaseEvent | None = None
    reception_steps: list[CaseEvent] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        if self.message is not None:
            return (self.at, 0, self.message.pk)
        assert self.event is not None  # noqa: S101 — an entry is a message or an event
        return (self.at, 1, self.event.pk)


def case_timeline(case: Case) -> list[TimelineEntry]:
    """Everything that happened on the case across channels, in order (three queries)."""
    messages = list(
        Message.objects.filter(case=case)
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    events = list(CaseEvent.objects.filter(case=case).order_by("created_at", "pk"))
    by_message = {
        message.pk: TimelineEntry(message.created_at, message=message) for message in messages
    }
    entries = list(by_message.values())
    for event in events:
        owner = by_message.get(event.message_id) if event.message_id is not None else None
        if event.kind == EventKind.PIPELINE and owner is not None:
            owner.reception_steps.append(event)
            continue
        if event.kind in _MESSAGE_EVENTS and owner is not None:
            continue
        entries.append(TimelineEntry(event.created_at, event=event))
    entries.sort(key=lambda entry: entry.sort_key)
    return entries


def topic_names(organization_id: int, topic_ids: set[int]) -> dict[int, str]:
    """Names of topics mentioned by id in timeline data (one query, none if there are no ids)."""
    if not topic_ids:
        return {}
    return dict(
        Topic.objects.filter(organization_id=organization_id, pk__in=topic_ids).values_list(
            "pk", "name"
        )
    )


# ---------------------------------------------------------------------------------------------
# Choices offered on the case page


def assignable_users(case: Case) -> list[User]:
    """Active members who may take the case: those working in its department, and the
    organization's supervisors and administrators."""
    works_here = Q(role__in=[Role.SUPERVISOR, Role.ADMINISTRATOR])
    if case.department_id is not None:
        works_here |= Q(departments=case.department_id)
    memberships = (
        Membership.objects.filter(
            works_here, organization_id=case.organization_id, user__is_active=True
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username", "pk")
    )
    users: dict[int, User] = {}
    for membership in memberships:
        users.setdefault(membership.user_id, membership.user)
    return list(users.values())


def transfer_departments(case: Case) -> models.QuerySet[Department]:
    """Active departments of the case's organization other than its current one."""
    departments = Department.objects.filter(organization_id=case.organization_id, is_active=True)
    if case.department_id is not None:
        departments = departments.exclude(pk=case.department_id)
    return departments.order_by("name")


def case_topics(case: Case) -> models.QuerySet[Topic]:
    """Topics the case may be corrected to (active ones, and its current one)."""
    current = Q(pk=case.topic_id) if case.topic_id is not None else Q(pk__in=[])
    return Topic.objects.filter(
        Q(is_active=True) | current, organization_id=case.organization_id
    ).order_by("name")


# ---------------------------------------------------------------------------------------------
# Attachments


def visible_attachment(user: Any, attachment_id: int) -> Attachment | None:
    """The attachment if it belongs to a message of a case the user sees; None otherwise (unknown,
    of another organization or department, or not attached to a case yet)."""
    visible_cases = Case.objects.visible_to(user).values("pk")
    return (
        Attachment.objects.filter(pk=attachment_id, message__case__in=visible_cases)
        .select_related("message")
        .first()
    )
