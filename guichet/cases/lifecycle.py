"""The case lifecycle, declared as a table: (status, transition) -> new status.

Anything not in the table is forbidden and raises `TransitionNotAllowed`; `do_transition_case`
(cases/actions.py) is the only writer of `Case.status` and logs every change on the timeline.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("In progress")
    WAITING = "waiting", _("Waiting for the citizen")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Transition(models.TextChoices):
    OPEN = "open", _("Start handling")
    WAIT = "wait", _("Wait for the citizen")
    RESOLVE = "resolve", _("Mark resolved")
    CLOSE = "close", _("Close")
    REOPEN = "reopen", _("Reopen")


TRANSITIONS: dict[tuple[Status, Transition], Status] = {
    (Status.NEW, Transition.OPEN): Status.OPEN,
    (Status.NEW, Transition.WAIT): Status.WAITING,
    (Status.NEW, Transition.RESOLVE): Status.RESOLVED,
    (Status.NEW, Transition.CLOSE): Status.CLOSED,
    (Status.OPEN, Transition.WAIT): Status.WAITING,
    (Status.OPEN, Transition.RESOLVE): Status.RESOLVED,
    (Status.OPEN, Transition.CLOSE): Status.CLOSED,
    (Status.WAITING, Transition.OPEN): Status.OPEN,
    (Status.WAITING, Transition.RESOLVE): Status.RESOLVED,
    (Status.WAITING, Transition.CLOSE): Status.CLOSED,
    (Status.RESOLVED, Transition.CLOSE): Status.CLOSED,
    (Status.RESOLVED, Transition.REOPEN): Status.OPEN,
    (Status.CLOSED, Transition.REOPEN): Status.OPEN,
}

# Statuses in which the case still needs work from the administration or the citizen.
ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.WAITING})


class TransitionNotAllowed(Exception):
    def __init__(self, status: str, transition: str) -> None:
        self.status = status
        self.transition = transition
        super().__init__(f"transition {transition!r} is not allowed from status {status!r}")


def next_status(status: str, transition: str) -> Status:
    try:
        return TRANSITIONS[(Status(status), Transition(transition))]
    except (KeyError, ValueError):
        raise TransitionNotAllowed(status, transition) from None


def available_transitions(status: str) -> list[Transition]:
    current = Status(status)
    return [transition for (source, transition) in TRANSITIONS if source == current]
