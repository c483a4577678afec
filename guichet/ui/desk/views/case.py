"""The case page: header, the whole timeline, the citizen's 360° panel and the agent's actions.

Every action is a POST form handled by `_perform`: the form validates the input, an action of
`guichet.cases.actions` does the write, and the agent is sent back to the case with a message. A
refused action re-renders the page with the error (HTTP 400) and leaves nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guichet.cases.actions import (
    CaseAccessDenied,
    CaseActionError,
    access_case,
    do_add_note,
    do_assign_case,
    do_reply_case,
    do_set_priority,
    do_set_topic,
    do_split_message,
    do_transfer_case,
    do_transition_case,
    record_case_view,
)
from guichet.cases.lifecycle import Status, Transition, TransitionNotAllowed, available_transitions
from guichet.cases.models import Case, Priority
from guichet.cases.queries import TimelineEntry, assignable_users, case_timeline, topic_names
from guichet.cases.repeats import repeat_flag, window_days
from guichet.citizens.queries import citizen_overview
from guichet.conversations.actions import reply_channels
from guichet.conversations.models import Direction
from guichet.ui.desk.access import DeskRequest, desk_view, render_desk, render_not_found
from guichet.ui.desk.forms import (
    THEN_KEEP,
    AssignForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    SplitForm,
    TopicForm,
    TransferForm,
    TransitionForm,
    channel_label,
)
from guichet.ui.desk.presenters import (
    display_contact,
    present_timeline,
    repeat_contact_title,
    step_topic_ids,
)


def _visible_case(request: DeskRequest, reference: str) -> Case | None:
    try:
        return access_case(request.user, reference)
    except CaseAccessDenied:
        return None


def _case_url(case: Case, anchor: str = "") -> str:
    url = reverse("desk:case", kwargs={"reference": case.reference})
    return f"{url}#{anchor}" if anchor else url


@dataclass(frozen=True)
class _PageChoices:
    """What the action forms offer, loaded once per page."""

    channels: list[str]
    users: list[Any]


def _load_choices(case: Case) -> _PageChoices:
    users: list[Any] = assignable_users(case)
    if case.assignee is not None and all(user.pk != case.assignee_id for user in users):
        # Assigned to someone who no longer works in the department: shown as the current choice
        # (re-assigning them is refused by the action), so the select never says "nobody".
        users.append(case.assignee)
    return _PageChoices(channels=reply_channels(case), users=users)


def _build_forms(case: Case, choices: _PageChoices) -> dict[str, forms.Form]:
    return {
        "reply": ReplyForm(prefix="reply", case=case, channels=choices.channels),
        "note": NoteForm(prefix="note"),
        "assign": AssignForm(
            prefix="assign",
            users=choices.users,
            initial={"assignee": str(case.assignee_id or "")},
        ),
        "transfer": TransferForm(prefix="transfer", case=case),
        "transition": TransitionForm(prefix="transition"),
        "priority": PriorityForm(prefix="priority", initial={"priority": case.priority}),
        "topic": TopicForm(prefix="topic", case=case, initial={"topic": case.topic_id}),
    }


def _render_case(
    request: DeskRequest,
    case: Case,
    *,
    bound: dict[str, forms.Form] | None = None,
    choices: _PageChoices | None = None,
    status: int = 200,
) -> HttpResponse:
    choices = choices or _load_choices(case)
    entries = case_timeline(case)
    timeline = present_timeline(entries, topic_names(case.organization_id, step_topic_ids(entries)))
    overview = citizen_overview(request.user, case.citizen)
    page_forms = {**_build_forms(case, choices), **(bound or {})}
    user_id = request.user.pk
    context = {
        "case": case,
        "timeline": timeline,
        "overview": overview,
        "other_cases": overview.other_cases(case),
        "contacts": [
            (point.get_kind_display(), point.channel, display_contact(point.kind, point.value))
            for point in overview.contact_points
        ],
        "channel_name": channel_label(case.channel),
        "repeat_flag": _repeat_flag(entries),
        "forms": page_forms,
        "failed_form": next(iter(bound)) if bound else "",
        "transitions": [(t.value, t.label) for t in available_transitions(case.status)],
        "can_reply": bool(choices.channels),
        "can_take": case.assignee_id != user_id and any(u.pk == user_id for u in choices.users),
        "own_id": user_id,
    }
    return render_desk(request, "desk/case.html", context, status=status, section="queue")


def _repeat_flag(entries: list[TimelineEntry]) -> str:
    """The flag shown when the citizen's contacts reach the threshold (no extra query)."""
    count = repeat_flag(
        [
            entry.message.created_at
            for entry in entries
            if entry.message is not None and entry.message.direction == Direction.INBOUND
        ]
    )
    return "" if count is None else repeat_contact_title(count, window_days())


@require_GET
@desk_view
def case_detail(request: DeskRequest, reference: str) -> HttpResponse:
    case = _visible_case(request, reference)
    if case is None:
        return render_not_found(request)
    record_case_view(case, actor=request.user)
    return _render_case(request, case)


# ---------------------------------------------------------------------------------------------
# Actions

FormBuilder = Callable[[Case, _PageChoices, dict[str, Any]], forms.Form]
Performer = Callable[[DeskRequest, Case, Any], str]


def _transition_error(exc: TransitionNotAllowed) -> str:
    def label(choices: Any, value: str) -> str:
        try:
            return str(choices(value).label)
        except ValueError:
            return value

    return _("“%(transition)s” is not possible while the request is “%(status)s”.") % {
        "transition": label(Transition, exc.transition),
        "status": label(Status, exc.status),
    }


def _perform(
    request: DeskRequest, reference: str, name: str, build: FormBuilder, perform: Performer
) -> HttpResponse:
    case = _visible_case(request, reference)
    if case is None:
        return render_not_found(request)
    choices = _load_choices(case)
    form = build(case, choices, {"prefix": name, "data": request.POST, "files": request.FILES})
    if form.is_valid():
        try:
            success = perform(request, case, form)
        except CaseAccessDenied:
            return render_not_found(request)
        except TransitionNotAllowed as exc:
            form.add_error(None, _transition_error(exc))
        except CaseActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, success)
            if Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
                return redirect(_case_url(case, "timeline"))
            messages.info(request, _("The request is no longer in your departments."))
            return redirect("desk:queue")
        # The failed action was rolled back; read the case again rather than trust the object.
        reloaded = _visible_case(request, reference)
        if reloaded is None:
            return render_not_found(request)
        case = reloaded
    return _render_case(request, case, bound={name: form}, choices=choices, status=400)


def _reply(request: DeskRequest, case: Case, form: ReplyForm) -> str:
    data = form.cleaned_data
    then = data["then"] if data["then"] != THEN_KEEP else None
    message = do_reply_case(
        case,
        data["text"],
        actor=request.user,
        channel=data["channel"],
        files=data["attachments"],
        then=then,
    )
    return _("Your reply is saved and being sent on %(channel)s.") % {
        "channel": channel_label(message.channel)
    }


def _note(request: DeskRequest, case: Case, form: NoteForm) -> str:
    do_add_note(
        case, form.cleaned_data["text"], actor=request.user, files=form.cleaned_data["attachments"]
    )
    return _("Internal note added.")


def _assign(request: DeskRequest, case: Case, form: AssignForm) -> str:
    user = form.chosen_user()
    do_assign_case(case, user, actor=request.user)
    if user is None:
        return _("The request is no longer assigned.")
    if user.pk == request.user.pk:
        return _("The request is assigned to you.")
    return _("The request is assigned to %(name)s.") % {"name": user}


def _transfer(request: DeskRequest, case: Case, form: TransferForm) -> str:
    department = form.cleaned_data["department"]
    do_transfer_case(case, department, actor=request.user, reason=form.cleaned_data["reason"])
    return _("The request is transferred to %(department)s.") % {"department": department.name}


def _transition(request: DeskRequest, case: Case, form: TransitionForm) -> str:
    do_transition_case(
        case,
        form.cleaned_data["transition"],
        actor=request.user,
        reason=form.cleaned_data["reason"],
    )
    return _("The request is now “%(status)s”.") % {"status": Status(case.status).label}


def _priority(request: DeskRequest, case: Case, form: PriorityForm) -> str:
    do_set_priority(case, form.cleaned_data["priority"], actor=request.user)
    return _("Priority set to %(priority)s.") % {"priority": Priority(case.priority).label}


def _topic(request: DeskRequest, case: Case, form: TopicForm) -> str:
    topic = form.cleaned_data["topic"]
    do_set_topic(case, topic, actor=request.user)
    if topic is None:
        return _("The request has no topic any more.")
    return _("Topic set to %(topic)s.") % {"topic": topic.name}


def _split(request: DeskRequest, case: Case, form: SplitForm) -> str:
    new_case = do_split_message(case, form.cleaned_data["message"], actor=request.user)
    return _("The message is now the separate request %(reference)s.") % {
        "reference": new_case.reference
    }


def _action(name: str, build: FormBuilder, perform: Performer) -> Callable[..., HttpResponseBase]:
    @require_POST
    @desk_view
    def view(request: DeskRequest, reference: str) -> HttpResponse:
        return _perform(request, reference, name, build, perform)

    view.__name__ = f"case_{name}"
    view.__qualname__ = f"case_{name}"
    return view


case_reply = _action(
    "reply", lambda case, choices, kw: ReplyForm(case=case, channels=choices.channels, **kw), _reply
)
case_note = _action("note", lambda case, choices, kw: NoteForm(**kw), _note)
case_assign = _action(
    "assign", lambda case, choices, kw: AssignForm(users=choices.users, **kw), _assign
)
case_transfer = _action(
    "transfer", lambda case, choices, kw: TransferForm(case=case, **kw), _transfer
)
case_transition = _action("transition", lambda case, choices, kw: TransitionForm(**kw), _transition)
case_priority = _action("priority", lambda case, choices, kw: PriorityForm(**kw), _priority)
case_topic = _action("topic", lambda case, choices, kw: TopicForm(case=case, **kw), _topic)
case_split = _action("split", lambda case, choices, kw: SplitForm(case=case, **kw), _split)
