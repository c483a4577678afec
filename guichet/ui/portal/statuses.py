"""Case statuses as the public reads them: plain words and what each one means for the citizen.

The desk says "Waiting for the citizen"; the citizen reads "Waiting for your answer".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.cases.lifecycle import Status


@dataclass(frozen=True)
class PublicStatus:
    value: str
    label: str | Promise
    explanation: str | Promise


PUBLIC_STATUSES: tuple[PublicStatus, ...] = (
    PublicStatus(
        Status.NEW,
        pgettext_lazy("request status", "Received"),
        _("We have received your request. It will be handled by the right department."),
    ),
    PublicStatus(
        Status.OPEN,
        _("Being handled"),
        _("A member of staff is working on your request."),
    ),
    PublicStatus(
        Status.WAITING,
        _("Waiting for your answer"),
        _("We need something from you to go on. Read our last message and answer below."),
    ),
    PublicStatus(
        Status.RESOLVED,
        _("Answered"),
        _("We have answered your request. If you write to us again, it will be reopened."),
    ),
    PublicStatus(
        Status.CLOSED,
        _("Closed"),
        _("Your request is closed. If you write to us, a new request linked to it will be opened."),
    ),
)

_BY_VALUE = {status.value: status for status in PUBLIC_STATUSES}


def public_status(value: str) -> PublicStatus:
    return _BY_VALUE.get(value, PUBLIC_STATUSES[0])
