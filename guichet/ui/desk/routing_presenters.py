"""How routing decisions read on the case timeline (events written by guichet.routing.actions:
a reception step without a message, data["step"] == "routing")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_TITLES = {
    "offered": gettext_lazy("Offered to %(name)s"),
    "assigned": gettext_lazy("Routed to %(name)s"),
    "accepted": gettext_lazy("Offer accepted by %(name)s"),
    "declined": gettext_lazy("Offer declined by %(name)s"),
    "offer_expired": gettext_lazy("Offer to %(name)s expired"),
    "offer_withdrawn": gettext_lazy("Offer to %(name)s withdrawn (no longer available)"),
    "moved": gettext_lazy("Moved to %(name)s by a supervisor"),
    "assigned_by_hand": gettext_lazy("Assigned by hand to %(name)s: the routed work follows"),
    "resumed": gettext_lazy("Active again: back in the work of %(name)s"),
    "requeued": gettext_lazy("Put back in the queue"),
    "finished": gettext_lazy("Routed work finished"),
    "cancelled": gettext_lazy("Routed work cancelled"),
}


def is_routing_event(data: Mapping[str, Any]) -> bool:
    return data.get("step") == "routing"


def describe_routing(data: Mapping[str, Any]) -> tuple[str, list[str]]:
    """A title and detail lines: who, and why (the engine's reasons)."""
    action = str(data.get("action") or "")
    name = data.get("agent_name") or (f"#{data['agent']}" if data.get("agent") else "?")
    template = _TITLES.get(action)
    title = str(template) % {"name": name} if template else _("Routing")
    details: list[str] = []
    if data.get("mode") == "pull":
        details.append(_("The agent asked for the next item."))
    details.extend(str(reason) for reason in data.get("reasons") or ())
    if data.get("reason"):
        details.append(_("Reason: %(reason)s") % {"reason": data["reason"]})
    return title, details
