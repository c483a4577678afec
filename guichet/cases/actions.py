"""Writes on cases. Each action checks permission, writes, appends the timeline and schedules side
effects on commit. Views and API endpoints call these; they never write case models themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.audit.actions import record_audit
from guichet.cases.lifecycle import Status, Transition, TransitionNotAllowed, next_status
from guichet.cases.models import Case, CaseEvent, EventKind, Priority
from guichet.cases.references import next_reference
from guichet.core.scopes import access_scope
from guichet.live import events as live
from guichet.live.publish import publish_case_event
from guichet.organizations.models import Department, Membership, Topic
from guichet.sla import actions as sla_actions
from guichet.sla.policies import due_at_for

if TYPE_CHECKING:
    from guichet.citizens.models import Citizen
    from guichet.conversations.models import Message
    from guichet.organizations.models import Organization, User


class CaseAccessDenied(PermissionError):
    """The case does not exist for this user (unknown, or of another organization/department)."""


class CaseActionError(ValueError):
    """A request on a case that cannot be honoured; the message is shown to the user."""


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


def append_event(
    case: Case,
    kind: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    message: Message | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    event = new_event(
        case, kind, actor=actor, actor_label=actor_label, message=message, data=data, at=at
    )
    event.save(force_insert=True)
    return event


def new_event(
    case: Case,
    kind: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    message: Message | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """The event `append_event` writes, not saved yet: a caller that appends several at once (the
    inbound pipeline) saves them with one `CaseEvent.objects.bulk_create`."""
    return CaseEvent(
        organization_id=case.organization_id,
        case=case,
        kind=kind,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=actor_label or (str(actor) if actor is not None else ""),
        message=message,
        data=data or {},
        created_at=at or timezone.now(),
    )


def access_case(user: Any, reference: str) -> Case:
    """The case with this reference if `user` may see it; otherwise `CaseAccessDenied` (the same
    error whether it does not exist or belongs to someone else: no existence oracle)."""
    case = (
        Case.objects.visible_to(user)
        .select_related("organization", "citizen", "topic", "department", "assignee")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise CaseAccessDenied(reference)
    return case


def _sync_routing(case: Case, *, actor: Any = None) -> None:
    """Once committed, the request's routing item follows this change at once (capacity frees,
    the next item flows). A local import: routing imports this module."""
    from guichet.routing.case_sync import sync_case_on_commit

    sync_case_on_commit(case, actor=actor)


def _touch(case: Case, *fields: str) -> None:
    case.updated_at = timezone.now()
    case.save(update_fields=[*fields, "updated_at"])
    publish_case_event(live.CASE_UPDATED, case)


class CaseStore(Protocol):
    """Where `open_case` and `set_routing` write. `DATABASE` writes at once; the inbound
    pipeline's batches keep new cases in memory and write a batch's rows together
    (`guichet.intake.batch`)."""

    def next_reference(self, organization: Organization, when: datetime) -> str: ...

    def create_case(self, case: Case) -> None: ...

    def update_case(self, case: Case, fields: list[str]) -> None:
        """Store the `fields` just set on `case`."""
        ...


class DatabaseCaseStore:
    """`CaseStore` on the database, one statement at a time."""

    def next_reference(self, organization: Organization, when: datetime) -> str:
        return next_reference(organization, when)

    def create_case(self, case: Case) -> None:
        case.save(force_insert=True)

    def update_case(self, case: Case, fields: list[str]) -> None:
        case.save(update_fields=fields)


DATABASE = DatabaseCaseStore()


def open_case(
    organization: Organization,
    citizen: Citizen,
    *,
    subject: str,
    channel: str,
    at: datetime | None = None,
    follows: Case | None = None,
    last_inbound_at: datetime | None = None,
    pending_events: list[CaseEvent] | None = None,
    store: CaseStore = DATABASE,
) -> Case:
    """A new case with its reference and announced due date; routing fills topic and department.

    `last_inbound_at`: when the case is opened by a citizen's message. `pending_events`: a list the
    "created" event is added to, unsaved, for the caller to save with its own events in one
    insert (see `new_event`); without it, the event is saved here. `store`: see `CaseStore`."""
    now = at or timezone.now()
    case = Case(
        organization=organization,
        reference=store.next_reference(organization, now),
        citizen=citizen,
        subject=(" ".join((subject or "").split()) or _("Request without subject"))[:300],
        channel=channel,
        follows=follows,
        due_at=due_at_for(organization, department=None, channel=channel, topic=None, start=now),
        created_at=now,
        updated_at=now,
        last_inbound_at=last_inbound_at,
    )
    store.create_case(case)
    created = new_event(
        case,
        EventKind.CREATED,
        actor_label=citizen.display_name or "",
        data={"channel": channel, "follows": follows.reference if follows else None},
        at=now,
    )
    if pending_events is None:
        created.save(force_insert=True)
    else:
        pending_events.append(created)
    publish_case_event(live.CASE_CREATED, case)
    return case


def set_routing(
    case: Case,
    *,
    topic: Topic | None,
    department: Department | None,
    reasons: Sequence[str],
    rule: str,
    store: CaseStore = DATABASE,
) -> None:
    """Apply a routing decision (pipeline use): topic, department and the due date it implies."""
    case.topic = topic
    case.department = department
    case.due_at = due_at_for(
        case.organization,
        department=department,
        channel=case.channel,
        topic=topic,
        start=case.created_at,
        case=case,
    )
    case.updated_at = timezone.now()
    store.update_case(case, ["topic", "department", "due_at", "updated_at"])


@transaction.atomic
def do_transition_case(case: Case, transition: str, *, actor: Any, reason: str = "") -> Case:
    """Move the case through its lifecycle; forbidden transitions raise `TransitionNotAllowed`.
    The status is read again under a row lock, so two agents acting at once cannot both move it
    from the same status."""
    _check_can_work_on(actor, case)
    case.status = Case.objects.select_for_update().values_list("status", flat=True).get(pk=case.pk)
    return _apply_transition(case, transition, actor=actor, reason=reason)


def _apply_transition(
    case: Case, transition: str, *, actor: Any = None, actor_label: str = "", reason: str = ""
) -> Case:
    old = case.status
    new = next_status(old, transition)
    now = timezone.now()
    case.status = new
    fields = ["status"]
    if new == Status.RESOLVED:
        case.resolved_at = now
        fields.append("resolved_at")
    elif new == Status.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    elif transition == Transition.REOPEN:
        case.resolved_at = None
        case.closed_at = None
        fields += ["resolved_at", "closed_at"]
    _touch(case, *fields)
    append_event(
        case,
        EventKind.STATUS_CHANGED,
        actor=actor,
        actor_label=actor_label,
        data={"from": old, "to": new, "transition": transition, "reason": reason},
    )
    sla_actions.on_status_change(case, old, new, at=now)
    _sync_routing(case, actor=actor)
    return case


def reopen_or_resume_for_citizen(case: Case, *, label: str) -> None:
    """A citizen wrote on the case: a resolved case reopens, a waiting one resumes."""
    if case.status == Status.RESOLVED:
        _apply_transition(
            case, Transition.REOPEN, actor_label=label, reason=_("the citizen wrote again")
        )
    elif case.status == Status.WAITING:
        _apply_transition(
            case, Transition.OPEN, actor_label=label, reason=_("the citizen answered")
        )


def _check_can_work_on(actor: Any, case: Case) -> None:
    scope = access_scope(actor)
    if scope.sees_department(case.organization_id, case.department_id):
        return
    if case.assignee_id is not None and case.assignee_id == scope.user_id:
        return
    raise CaseAccessDenied(case.reference)


def _can_work_in(user: User, case: Case, department_id: int | None) -> bool:
    membership = (
        Membership.objects.filter(
            user=user, organization_id=case.organization_id, user__is_active=True
        )
        .prefetch_related("departments")
        .first()
    )
    if membership is None:
        return False
    if membership.sees_whole_organization:
        return True
    return department_id is not None and any(
        d.pk == department_id for d in membership.departments.all()
    )


@transaction.atomic
def do_assign_case(case: Case, assignee: User | None, *, actor: Any) -> Case:
    """Assign to an agent who works in the case's department (or unassign with None)."""
    _check_can_work_on(actor, case)
    if assignee is not None and not _can_work_in(assignee, case, case.department_id):
        raise CaseActionError(_("%(name)s does not work in this department.") % {"name": assignee})
    previous = case.assignee
    case.assignee = assignee
    _touch(case, "assignee")
    publish_case_event(
        live.CASE_ASSIGNED, case, previous_assignee_id=previous.pk if previous else None
    )
    append_event(
        case,
        EventKind.ASSIGNED,
        actor=actor,
        data={
            "from": previous.pk if previous else None,
            "from_name": str(previous) if previous else "",
            "to": assignee.pk if assignee else None,
            "to_name": str(assignee) if assignee else "",
        },
    )
    if assignee is not None and case.status == Status.NEW:
        _apply_transition(case, Transition.OPEN, actor=actor, reason=_("assigned"))
    _sync_routing(case, actor=actor)
    return case


@transaction.atomic
def do_transfer_case(case: Case, department: Department, *, actor: Any, reason: str) -> Case:
    """Hand the case to another department of the organization, with a reason; it leaves the
    current assignee's desk and lands, unassigned, in the new department's queue. `actor=None`:
    routing moves it on its own authority (overflow to another department)."""
    if actor is not None:
        _check_can_work_on(actor, case)
    if department.organization_id != case.organization_id:
        raise CaseAccessDenied(case.reference)
    if not department.is_active:
        raise CaseActionError(_("This department is not active."))
    if department.pk == case.department_id:
        raise CaseActionError(_("The request is already in this department."))
    if not reason.strip():
        raise CaseActionError(_("Say why the request is transferred."))
    previous = case.department
    previous_assignee_id = case.assignee_id
    case.department = department
    case.assignee = None
    _touch(case, "department", "assignee")
    publish_case_event(
        live.CASE_TRANSFERRED,
        case,
        previous_department_id=previous.pk if previous else None,
        previous_assignee_id=previous_assignee_id,
    )
    append_event(
        case,
        EventKind.TRANSFERRED,
        actor=actor,
        data={
            "from": previous.pk if previous else None,
            "from_name": previous.name if previous else "",
            "to": department.pk,
            "to_name": department.name,
            "reason": reason.strip(),
        },
    )
    sla_actions.recompute_due_at(case, actor=actor)
    _sync_routing(case, actor=actor)
    return case


@transaction.atomic
def do_set_priority(case: Case, priority: int, *, actor: Any) -> Case:
    _check_can_work_on(actor, case)
    if priority not in Priority.values:
        raise CaseActionError(_("Unknown priority."))
    old = case.priority
    if old == priority:
        return case
    case.priority = priority
    _touch(case, "priority")
    append_event(case, EventKind.PRIORITY_CHANGED, actor=actor, data={"from": old, "to": priority})
    _sync_routing(case, actor=actor)
    return case


@transaction.atomic
def do_set_topic(case: Case, topic: Topic | None, *, actor: Any) -> Case:
    """Correct the topic (kept as the classifier's ground truth); the department does not change:
    transferring is a separate, explicit act."""
    _check_can_work_on(actor, case)
    if topic is not None and topic.organization_id != case.organization_id:
        raise CaseActionError(_("Unknown topic."))
    old = case.topic
    if old == topic:
        return case
    case.topic = topic
    _touch(case, "topic")
    append_event(
        case,
        EventKind.TOPIC_CHANGED,
        actor=actor,
        data={
            "from": old.pk if old else None,
            "from_name": old.name if old else "",
            "to": topic.pk if topic else None,
            "to_name": topic.name if topic else "",
        },
    )
    sla_actions.recompute_due_at(case, actor=actor)
    return case


@transaction.atomic
def do_add_note(
    case: Case, text: str, *, actor: Any, files: Sequence[UploadedFile] = ()
) -> Message:
    """An internal note: on the timeline for colleagues, never shown or sent to the citizen."""
    from guichet.conversations.actions import add_note_message

    _check_can_work_on(actor, case)
    if not text.strip():
        raise CaseActionError(_("The note is empty."))
    message = add_note_message(case, text=text.strip(), author=actor, files=files)
    append_event(case, EventKind.NOTE_ADDED, actor=actor, message=message)
    _touch(case)
    return message


@transaction.atomic
def do_reply_case(
    case: Case,
    text: str,
    *,
    actor: Any,
    channel: str | None = None,
    files: Sequence[UploadedFile] = (),
    then: str | None = None,
    actor_label: str = "",
) -> Message:
    """Answer the citizen on `channel` (by default the one they last used); the message is stored
    first and delivered by a background task once the transaction commits. `then` is an optional
    transition applied after sending (wait for the citizen, resolve)."""
    from guichet.conversations.actions import create_outbound_message, reply_channels

    if actor is not None:
        _check_can_work_on(actor, case)
    if not text.strip():
        raise CaseActionError(_("The reply is empty."))
    channels = reply_channels(case)
    if not channels:
        raise CaseActionError(_("The citizen cannot be reached on any channel."))
    chosen = channel or channels[0]
    if chosen not in channels:
        raise CaseActionError(_("The citizen cannot be reached on this channel."))
    if then is not None:
        # Check before writing anything: a forbidden follow-up transition leaves no trace.
        next_status(Status.OPEN if case.status == Status.NEW else case.status, then)
    message = create_outbound_message(
        case, channel=chosen, text=text.strip(), author=actor, files=files, sender_label=actor_label
    )
    now = timezone.now()
    fields = []
    if case.first_response_at is None:
        case.first_response_at = now
        fields.append("first_response_at")
    _touch(case, *fields)
    append_event(
        case,
        EventKind.MESSAGE_SENT,
        actor=actor,
        actor_label=actor_label,
        message=message,
        data={"channel": chosen},
    )
    if case.status == Status.NEW:
        _apply_transition(case, Transition.OPEN, actor=actor, actor_label=actor_label)
    if then is not None and then != Transition.OPEN:
        try:
            _apply_transition(case, then, actor=actor, actor_label=actor_label)
        except TransitionNotAllowed:
            raise CaseActionError(_("This status change is not possible now.")) from None
    return message


def record_case_view(case: Case, *, actor: Any) -> None:
    """Who opened which case (RGPD accountability); one audit entry per view."""
    record_audit("case.viewed", case, actor=actor)


@transaction.atomic
def do_split_message(case: Case, message: Message, *, actor: Any) -> Case:
    """Make an inbound message of `case` a request of its own (undoing an automatic link, or
    separating two subjects the citizen wrote about). The new case keeps the citizen, topic and
    department; the message, its attachments and its reception steps move with it."""
    from guichet.conversations.actions import conversation_for
    from guichet.conversations.models import Direction
    from guichet.intake.models import InboundRecord

    _check_can_work_on(actor, case)
    if message.case_id != case.pk or message.direction != Direction.INBOUND:
        raise CaseActionError(_("Only a message from the citizen can become a separate request."))
    if case.messages.filter(direction=Direction.INBOUND).count() < 2:
        raise CaseActionError(_("This is the request's only message from the citizen."))
    new_case = open_case(
        case.organization,
        case.citizen,
        subject=message.subject or case.subject,
        channel=message.channel,
    )
    set_routing(new_case, topic=case.topic, department=case.department, reasons=(), rule="split")
    message.case = new_case
    message.conversation = conversation_for(
        new_case, message.channel, message.sender_address, message.subject
    )
    message.save(update_fields=["case", "conversation"])
    CaseEvent.objects.filter(case=case, message=message).update(case=new_case)
    InboundRecord.objects.filter(messages=message).update(case=new_case)
    append_event(
        case,
        EventKind.MESSAGE_SPLIT,
        actor=actor,
        data={"to": new_case.reference, "message": message.pk},
    )
    append_event(
        new_case,
        EventKind.MESSAGE_SPLIT,
        actor=actor,
        message=message,
        data={"from": case.reference, "message": message.pk},
    )
    _touch(case)
    return new_case
