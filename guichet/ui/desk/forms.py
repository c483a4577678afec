"""Forms of the agent desk. They validate input and build choices; writes go through actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.assist.masking import (
    is_insecure_channel,
    reply_confirmation_token,
    sensitive_kinds,
    sensitive_labels,
)
from guichet.cases.actions import UploadedFile
from guichet.cases.lifecycle import Status, Transition, available_transitions
from guichet.cases.models import Case, Priority
from guichet.cases.queries import (
    ASSIGNMENT_ALL,
    ASSIGNMENT_MINE,
    ASSIGNMENT_UNASSIGNED,
    SORT_CREATED,
    SORT_DUE,
    SORT_PRIORITY,
    STATUS_ACTIVE,
    STATUS_ALL,
    QueueFilters,
    case_topics,
    queue_departments,
    queue_topics,
    transfer_departments,
)
from guichet.citizens.models import Citizen
from guichet.conversations.models import Channel, Message
from guichet.organizations.models import Department, Topic, User
from guichet.ui.uploads import MultipleFileField, check_uploads

TEXT_MAX_LENGTH = 20_000


def channel_label(channel: str) -> str:
    try:
        return str(Channel(channel).label)
    except ValueError:
        return channel


# ---------------------------------------------------------------------------------------------
# Queue filters


class _OrganizationAwareChoiceField(forms.ModelChoiceField):
    """Shows "Organization — name" when the user works in several organizations."""

    def __init__(self, *args: Any, with_organization: bool = False, **kwargs: Any) -> None:
        self.with_organization = with_organization
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        if self.with_organization:
            return f"{obj.organization.name} — {obj.name}"
        return str(obj.name)


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (STATUS_ACTIVE, _("Active (not resolved)")),
            *Status.choices,
            (STATUS_ALL, _("All statuses")),
        ],
    )
    topic = _OrganizationAwareChoiceField(
        label=_("Topic"), required=False, queryset=Topic.objects.none(), empty_label=_("All topics")
    )
    department = _OrganizationAwareChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.none(),
        empty_label=_("All my departments"),
    )
    assignment = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        choices=[
            (ASSIGNMENT_ALL, _("Anyone or nobody")),
            (ASSIGNMENT_UNASSIGNED, _("Nobody (unassigned)")),
            (ASSIGNMENT_MINE, _("Me")),
        ],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            (SORT_DUE, _("Due date (soonest first)")),
            (SORT_PRIORITY, _("Priority (highest first)")),
            (SORT_CREATED, _("Creation date (newest first)")),
        ],
    )

    def __init__(self, data: Any, *, user: User, several_organizations: bool) -> None:
        super().__init__(data)
        topic_field = self.fields["topic"]
        department_field = self.fields["department"]
        assert isinstance(topic_field, _OrganizationAwareChoiceField)  # noqa: S101
        assert isinstance(department_field, _OrganizationAwareChoiceField)  # noqa: S101
        topic_field.queryset = queue_topics(user)
        topic_field.with_organization = several_organizations
        department_field.queryset = queue_departments(user)
        department_field.with_organization = several_organizations

    def filters(self) -> QueueFilters:
        """The filters from the valid fields; an invalid field falls back to its default."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        topic = data.get("topic")
        department = data.get("department")
        return QueueFilters(
            status=data.get("status") or STATUS_ACTIVE,
            topic_id=topic.pk if topic is not None else None,
            department_id=department.pk if department is not None else None,
            assignment=data.get("assignment") or ASSIGNMENT_ALL,
            overdue_only=bool(data.get("overdue")),
            sort=data.get("sort") or SORT_DUE,
        )


# ---------------------------------------------------------------------------------------------
# Files


class _FilesMixin:
    """Reads the uploaded files once, checks them as attachments are checked on reception (size,
    type sniffed from the content) and refuses the form rather than sending a file that would be
    dropped."""

    cleaned_data: dict[str, Any]

    def clean_attachments(self) -> list[UploadedFile]:
        accepted, errors = check_uploads(self.cleaned_data.get("attachments") or [])
        if errors:
            raise forms.ValidationError(errors)
        return [UploadedFile(f.filename, f.content_type, f.content) for f in accepted]


# ---------------------------------------------------------------------------------------------
# Case actions

THEN_KEEP = ""


class ReplyForm(_FilesMixin, forms.Form):
    text = forms.CharField(
        label=_("Your reply"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 7})
    )
    channel = forms.ChoiceField(label=_("Send on"))
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("You can choose several files (PDF, images, office documents)."),
    )
    then = forms.ChoiceField(label=_("Then"), required=False)

    def __init__(self, *args: Any, case: Case, channels: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set by `clean` when the agent must confirm sending personal data.
        self.pii_kinds: list[str] = []
        self.pii_token = ""
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)  # noqa: S101
        channel_field.choices = [(channel, channel_label(channel)) for channel in channels]
        if channels:
            channel_field.initial = channels[0]
        # Replying to a new case starts handling it; the follow-up applies from there.
        start = Status.OPEN if case.status == Status.NEW else Status(case.status)
        possible = set(available_transitions(start))
        then_field = self.fields["then"]
        assert isinstance(then_field, forms.ChoiceField)  # noqa: S101
        then_field.choices = [
            (THEN_KEEP, _("Keep the current status")),
            *[
                (transition.value, label)
                for transition, label in (
                    (Transition.WAIT, _("Wait for the citizen's answer")),
                    (Transition.RESOLVE, _("Mark the request resolved")),
                )
                if transition in possible
            ],
        ]

    # The confirmation of a reply warned about personal data: a token of the text and channel
    # the agent saw the warning for (another text or channel is checked again).
    PII_CONFIRMATION = "pii_confirmed"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text, channel = cleaned.get("text"), cleaned.get("channel")
        if not text or not channel or not is_insecure_channel(channel):
            return cleaned
        kinds = sensitive_kinds(text)
        token = reply_confirmation_token(text, channel)
        if kinds and self.data.get(self.add_prefix(self.PII_CONFIRMATION)) != token:
            self.pii_kinds, self.pii_token = kinds, token
            self.add_error(
                "text",
                _(
                    "This reply contains personal data (%(kinds)s) and %(channel)s is not a "
                    "secure channel. Check that it must be sent this way, then choose “Send "
                    "anyway” to confirm, or remove it."
                )
                % {"kinds": ", ".join(sensitive_labels(kinds)), "channel": channel_label(channel)},
            )
        return cleaned


class NoteForm(_FilesMixin, forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Seen by colleagues only, never sent to the citizen."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)


UNASSIGNED = ""


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args: Any, users: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {str(user.pk): user for user in users}
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101
        field.choices = [
            (UNASSIGNED, _("Nobody (unassign)")),
            *[(key, str(user)) for key, user in self.users.items()],
        ]

    def chosen_user(self) -> User | None:
        return self.users.get(self.cleaned_data.get("assignee") or UNASSIGNED)


class TransferForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("New department"), queryset=Department.objects.none(), empty_label=None
    )
    reason = forms.CharField(
        label=_("Reason for the transfer"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mandatory; your colleagues will read it on the timeline."),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = transfer_departments(case)


class TransitionForm(forms.Form):
    # Every transition name is accepted here; the lifecycle decides whether it is allowed now.
    transition = forms.ChoiceField(label=_("Change the status"), choices=Transition.choices)
    reason = forms.CharField(label=_("Reason (optional)"), max_length=1000, required=False)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)


class TopicForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=Topic.objects.none(), required=False, empty_label=_("No topic")
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["topic"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = case_topics(case)


class SplitForm(forms.Form):
    """Which of the case's messages from the citizen becomes a request of its own."""

    message = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_message(self) -> Message:
        message = Message.objects.filter(case=self.case, pk=self.cleaned_data["message"]).first()
        if message is None:
            raise forms.ValidationError(_("This message is not part of the request."))
        return message


# ---------------------------------------------------------------------------------------------
# Citizens


class CitizenSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find the duplicate record"),
        min_length=2,
        max_length=200,
        help_text=_("Name, email address or phone number."),
    )


class MergeForm(forms.Form):
    source = forms.ModelChoiceField(queryset=Citizen.objects.none(), widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for the merge"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mandatory; kept in the merge log and the audit journal."),
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = candidates
        field.error_messages["invalid_choice"] = _(
            "This record cannot be merged: it does not exist, belongs to another organization "
            "or has already been merged."
        )
