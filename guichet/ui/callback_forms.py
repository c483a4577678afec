"""The callback booking form, shared by the portal and the desk.

The slot is offered as a list of the free slots, but any value is checked again by
`guichet.callbacks.actions.check_slot`, which says clearly why a slot cannot be booked (in the
past, outside opening hours, full) — a slot may fill up while the page is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.callbacks.actions import CallbackError, check_slot
from guichet.callbacks.slots import Slot
from guichet.citizens.identity import InvalidContactPoint, normalise_phone
from guichet.organizations.models import Department

SLOT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The list shows this many free slots at most (the next days' first ones).
MAX_SLOTS_SHOWN = 80


def slot_label(slot: Slot) -> str:
    start = timezone.localtime(slot.start)
    end = timezone.localtime(slot.end)
    return _("%(day)s, %(start)s to %(end)s") % {
        "day": formats.date_format(start, "l j F Y"),
        "start": formats.time_format(start, "H:i"),
        "end": formats.time_format(end, "H:i"),
    }


def parse_slot(value: str) -> datetime:
    return datetime.strptime(value, SLOT_FORMAT).replace(tzinfo=UTC)


class CallbackForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Phone number to call"),
        max_length=30,
        help_text=gettext_lazy("For example 06 12 34 56 78."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    slot = forms.CharField(
        label=gettext_lazy("When should we call?"),
        widget=forms.Select(),
        help_text=gettext_lazy("The free times of the coming days, in French time."),
    )
    reason = forms.CharField(
        label=gettext_lazy("What is it about?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self, *args: Any, department: Department, slots: Sequence[Slot], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.department = department
        choices = [("", _("Choose a time"))]
        choices += [(slot.value, slot_label(slot)) for slot in slots[:MAX_SLOTS_SHOWN]]
        self.fields["slot"].widget.choices = choices

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidContactPoint:
            raise forms.ValidationError(
                _("Enter a valid phone number, e.g. 06 12 34 56 78.")
            ) from None

    def clean_slot(self) -> datetime:
        try:
            start = parse_slot(self.cleaned_data["slot"])
        except ValueError:
            raise forms.ValidationError(_("Choose a time from the list.")) from None
        try:
            check_slot(self.department, start)
        except CallbackError as error:
            raise forms.ValidationError(str(error)) from None
        return start
