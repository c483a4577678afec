"""The portal's forms: a new request, and a message on the tracking page.

Every check happens here, before anything is stored: a form with an error keeps nothing (no case,
no raw record, no file). Files are checked with the same rules as every channel
(`check_attachment`), so the citizen learns at once why a file is refused.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.channels.base import InboundAttachment
from guichet.citizens.identity import InvalidContactPoint, normalise_email, normalise_phone
from guichet.organizations.models import Topic
from guichet.ui.uploads import MultipleFileField, check_uploads, megabytes

MAX_FILES = 5
MESSAGE_MAX_LENGTH = 10_000
SUBJECT_MAX_LENGTH = 200
NAME_MAX_LENGTH = 200
# Value of the topic choice "I don't know / other": the request is classified from its text.
UNKNOWN_TOPIC = ""

# Human names and usual extensions of the accepted types (the list itself comes from the settings).
_TYPE_LABELS = {
    "application/pdf": ("PDF", ".pdf"),
    "image/jpeg": ("JPEG", ".jpg,.jpeg"),
    "image/png": ("PNG", ".png"),
    "image/gif": ("GIF", ".gif"),
    "image/webp": ("WebP", ".webp"),
    "image/heic": ("HEIC", ".heic"),
    "text/plain": ("TXT", ".txt"),
    "text/csv": ("CSV", ".csv"),
    "application/vnd.oasis.opendocument.text": ("ODT", ".odt"),
    "application/vnd.oasis.opendocument.spreadsheet": ("ODS", ".ods"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("DOCX", ".docx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("XLSX", ".xlsx"),
    "application/msword": ("DOC", ".doc"),
    "application/vnd.ms-excel": ("XLS", ".xls"),
}


def accepted_type_labels() -> list[str]:
    return [
        _TYPE_LABELS[t][0] if t in _TYPE_LABELS else t for t in settings.GUICHET_ATTACHMENT_TYPES
    ]


def accepted_extensions() -> str:
    """The `accept` attribute of the file input: usual extensions of the accepted types."""
    extensions: list[str] = []
    for content_type in settings.GUICHET_ATTACHMENT_TYPES:
        known = _TYPE_LABELS.get(content_type)
        guessed = mimetypes.guess_extension(content_type) or ""
        for extension in (known[1] if known else guessed).split(","):
            if extension and extension not in extensions:
                extensions.append(extension)
    return ",".join(extensions)


def attachments_help() -> str:
    return _("Optional. Up to %(count)s files, %(size)s MB each at most. Accepted: %(types)s.") % {
        "count": MAX_FILES,
        "size": megabytes(settings.GUICHET_ATTACHMENT_MAX_BYTES),
        "types": ", ".join(accepted_type_labels()),
    }


class NonceField(forms.CharField):
    """The form's one-time identifier (a UUID); a missing or malformed one is replaced."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def clean(self, value: Any) -> str:
        try:
            return str(uuid.UUID(str(value or "")))
        except ValueError:
            return str(uuid.uuid4())


def new_nonce() -> str:
    return str(uuid.uuid4())


class AttachmentsMixin(forms.Form):
    """The files field and its checks, shared by the request and the reply forms."""

    attachments = MultipleFileField(label=gettext_lazy("Documents"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attachments"]
        field.help_text = attachments_help()
        field.widget.attrs.update({"multiple": True, "accept": accepted_extensions()})
        self.inbound_attachments: tuple[InboundAttachment, ...] = ()

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        accepted, errors = check_uploads(files, max_files=MAX_FILES)
        if errors:
            raise forms.ValidationError(errors)
        self.inbound_attachments = tuple(
            InboundAttachment(filename=f.filename, content_type=f.content_type, content=f.content)
            for f in accepted
        )
        return files


def message_field(label: str | Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": gettext_lazy("Write your message."),
            "max_length": gettext_lazy(
                "Your message is %(show_value)d characters long; %(limit_value)d at most are "
                "accepted. Shorten it or attach a document."
            ),
        },
    )


class RequestForm(AttachmentsMixin, forms.Form):
    """A new request to the organization."""

    nonce = NonceField()
    topic = forms.ChoiceField(
        label=gettext_lazy("What is your request about?"),
        required=False,
        help_text=gettext_lazy("If you are not sure, choose “I don't know / other”."),
        error_messages={"invalid_choice": gettext_lazy("Choose a topic from the list.")},
    )
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=SUBJECT_MAX_LENGTH,
        help_text=gettext_lazy("A few words, for example “Birth certificate for my son”."),
        error_messages={
            "required": gettext_lazy("Give your request a subject."),
            "max_length": gettext_lazy(
                "The subject is %(show_value)d characters long; %(limit_value)d at most."
            ),
        },
    )
    message = message_field(gettext_lazy("Your message"))
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={
            "required": gettext_lazy("Enter your name."),
            "max_length": gettext_lazy(
                "The name is %(show_value)d characters long; %(limit_value)d at most."
            ),
        },
    )
    email = forms.CharField(
        label=gettext_lazy("Email address"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("We send the acknowledgement and our answers there."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"max_length": gettext_lazy("This email address is too long.")},
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("For example 06 12 34 56 78, or +33 6 12 34 56 78 from abroad."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"max_length": gettext_lazy("This phone number is too long.")},
    )

    field_order = ["nonce", "topic", "subject", "message", "attachments", "name", "email", "phone"]

    def __init__(self, *args: Any, topics: Iterable[Topic] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ChoiceField)  # noqa: S101 — declared above
        topic_field.choices = [
            (UNKNOWN_TOPIC, _("I don't know / other")),
            *[(topic.slug, topic.name) for topic in topics],
        ]

    def clean_email(self) -> str:
        value: str = self.cleaned_data.get("email", "")
        if not value:
            return ""
        try:
            return normalise_email(value)
        except InvalidContactPoint:
            raise forms.ValidationError(
                _("Enter an email address in the form name@example.fr."), code="invalid"
            ) from None

    def clean_phone(self) -> str:
        value: str = self.cleaned_data.get("phone", "")
        if not value:
            return ""
        try:
            return normalise_phone(value)
        except InvalidContactPoint:
            raise forms.ValidationError(
                _(
                    "This phone number is not valid. Write it with its 10 digits, for example "
                    "06 12 34 56 78, or with the country code, for example +32 470 12 34 56."
                ),
                code="invalid",
            ) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email_failed = "email" in self.errors
        phone_failed = "phone" in self.errors
        if (
            not cleaned.get("email")
            and not cleaned.get("phone")
            and not email_failed
            and not phone_failed
        ):
            self.add_error(
                "email",
                forms.ValidationError(
                    _("Give an email address or a phone number, so that we can answer you."),
                    code="no_contact",
                ),
            )
        return cleaned


class ReplyForm(AttachmentsMixin, forms.Form):
    """A message from the citizen on the tracking page of their request."""

    nonce = NonceField()
    message = message_field(gettext_lazy("Your message"))

    field_order = ["nonce", "message", "attachments"]
