"""Timeline titles of the events written by the SLA and callbacks apps (guichet.sla.actions,
guichet.callbacks.actions)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from guichet.callbacks.models import CallbackStatus, Outcome


def _moment(value: Any) -> str:
    if not value:
        return "?"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def describe_sla_or_callback_event(
    kind: str, data: Mapping[str, Any]
) -> tuple[str, list[str]] | None:
    """A title and detail lines, or None for a kind of another app."""
    details: list[str] = []
    if kind == "sla.paused":
        title = _("Waiting for the citizen: the answer delay is paused")
    elif kind == "sla.resumed":
        title = _("Delay resumed: answer now due %(date)s") % {"date": _moment(data.get("to"))}
        details.append(_("Previously due %(date)s.") % {"date": _moment(data.get("from"))})
    elif kind == "sla.due_changed":
        title = _("Answer now due %(date)s") % {"date": _moment(data.get("to"))}
        details.append(_("Previously due %(date)s.") % {"date": _moment(data.get("from"))})
    elif kind == "sla.due_soon":
        title = _("Answer due soon (%(date)s)") % {"date": _moment(data.get("due_at"))}
    elif kind == "sla.breached":
        title = _("Answer late: it was due %(date)s") % {"date": _moment(data.get("due_at"))}
    elif kind == "callback.booked":
        title = _("Callback booked for %(date)s") % {"date": _moment(data.get("slot"))}
        if data.get("department"):
            details.append(_("By: %(department)s") % {"department": data["department"]})
    elif kind == "callback.due":
        title = _("Callback due: attempt %(attempt)s sent to the phone agents") % {
            "attempt": data.get("attempt", "?")
        }
    elif kind in ("callback.attempt", "callback.cancelled"):
        title = _("Callback: %(outcome)s") % {"outcome": _label(Outcome, data.get("outcome"))}
        details.append(
            _("Status: %(status)s") % {"status": _label(CallbackStatus, data.get("status"))}
        )
        if data.get("retry_at"):
            details.append(_("Next attempt: %(date)s") % {"date": _moment(data["retry_at"])})
        if data.get("note"):
            details.append(_("Note: %(note)s") % {"note": data["note"]})
    else:
        return None
    return title, details
