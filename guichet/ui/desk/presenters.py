"""Turning timeline records into what an agent reads: a title, details and, for messages received,
the reception steps that explain how the message was identified, threaded, classified and routed.

The pipeline and the actions store facts (ids, codes, English reasons) in `CaseEvent.data`; this
module says them in the interface language. Unknown values are shown as they are, never hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from guichet.cases.lifecycle import Status
from guichet.cases.models import CaseEvent, EventKind, Priority
from guichet.cases.queries import TimelineEntry
from guichet.cases.repeats import REPEAT_CONTACT
from guichet.citizens.identity import format_phone_for_display
from guichet.conversations.models import Attachment, Direction, Message
from guichet.ui.desk.event_titles import describe_sla_or_callback_event
from guichet.ui.desk.forms import channel_label
from guichet.ui.desk.routing_presenters import describe_routing, is_routing_event


@dataclass(frozen=True)
class StepView:
    name: str
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EntryView:
    """One timeline line as the template shows it."""

    kind: str  # "inbound", "outbound", "note" or "event"
    at: Any
    title: str
    message: Message | None = None
    attachments: list[Attachment] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)
    routing_summary: str = ""
    actor: str = ""
    # The message joined the case by an automatic guess the agent can undo.
    suggested_link: bool = False


def _label(choices: type[Any], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def display_contact(kind: str, value: str) -> str:
    return format_phone_for_display(value) if kind == "phone" else value


# ---------------------------------------------------------------------------------------------
# Events


def repeat_contact_title(count: Any, days: Any) -> str:
    """ "3e contact en 10 jours sur cette demande" (the case page's flag and timeline event)."""
    return _("Contact no. %(count)s in %(days)s days on this request") % {
        "count": count,
        "days": days,
    }


def describe_event(event: CaseEvent) -> tuple[str, list[str]]:
    """A title and detail lines for a case event."""
    data: Mapping[str, Any] = event.data or {}
    kind = event.kind
    details: list[str] = []
    if kind == EventKind.CREATED:
        title = _("Request created (first channel: %(channel)s)") % {
            "channel": channel_label(str(data.get("channel") or ""))
        }
        if data.get("follows"):
            details.append(
                _("Follows up on the closed request %(reference)s.")
                % {"reference": data["follows"]}
            )
    elif kind == EventKind.ASSIGNED:
        if data.get("to_name"):
            title = _("Assigned to %(name)s") % {"name": data["to_name"]}
        else:
            title = pgettext("timeline event", "Unassigned")
        if data.get("from_name"):
            details.append(_("Previously: %(name)s") % {"name": data["from_name"]})
    elif kind == EventKind.TRANSFERRED:
        title = _("Transferred from %(from)s to %(to)s") % {
            "from": data.get("from_name") or _("no department"),
            "to": data.get("to_name") or "?",
        }
        if data.get("reason"):
            details.append(_("Reason: %(reason)s") % {"reason": data["reason"]})
    elif kind == EventKind.STATUS_CHANGED:
        title = _("Status changed from “%(from)s” to “%(to)s”") % {
            "from": _label(Status, data.get("from")),
            "to": _label(Status, data.get("to")),
        }
        if data.get("reason"):
            details.append(_("Reason: %(reason)s") % {"reason": data["reason"]})
    elif kind == EventKind.PRIORITY_CHANGED:
        title = _("Priority changed from %(from)s to %(to)s") % {
            "from": _label(Priority, data.get("from")),
            "to": _label(Priority, data.get("to")),
        }
        if data.get("reason"):
            details.append(_("Reason: %(reason)s") % {"reason": data["reason"]})
    elif kind == "assist.aggressive_tone":  # guichet.intake.triage
        title = _("Aggressive tone: this message may call for a careful answer")
        details += [str(reason) for reason in data.get("reasons") or ()]
    elif kind == EventKind.TOPIC_CHANGED:
        title = _("Topic corrected from “%(from)s” to “%(to)s”") % {
            "from": data.get("from_name") or _("no topic"),
            "to": data.get("to_name") or _("no topic"),
        }
    elif kind == EventKind.CITIZEN_MERGED:
        title = _("Citizen record #%(source)s merged into #%(target)s") % {
            "source": data.get("source"),
            "target": data.get("target"),
        }
        if data.get("reason"):
            details.append(_("Reason: %(reason)s") % {"reason": data["reason"]})
    elif kind == EventKind.MESSAGE_SPLIT:
        if data.get("to"):
            title = _("A message was made the separate request %(reference)s") % {
                "reference": data["to"]
            }
        else:
            title = _("Separated from the request %(reference)s") % {"reference": data.get("from")}
    elif kind == EventKind.PIPELINE and is_routing_event(data):
        title, details = describe_routing(data)
    elif kind == REPEAT_CONTACT:
        title = repeat_contact_title(data.get("contacts", "?"), data.get("days", "?"))
    elif kind == EventKind.DELIVERY_FAILED:
        title = _("Delivery failed on %(channel)s") % {
            "channel": channel_label(str(data.get("channel") or ""))
        }
        if data.get("error"):
            details.append(_("Error: %(error)s") % {"error": data["error"]})
    else:
        title, details = describe_sla_or_callback_event(kind, data) or (
            event.get_kind_display(),
            details,
        )
    return title, details


# ---------------------------------------------------------------------------------------------
# Reception steps

_STEP_TITLES = {
    "persist": gettext_lazy("Stored as received"),
    "identify": gettext_lazy("Citizen identified"),
    "thread": gettext_lazy("Attached to a request"),
    "classify": gettext_lazy("Topic recognised"),
    "route": gettext_lazy("Routed to a department"),
    "acknowledge": gettext_lazy("Acknowledgement"),
}
_THREAD_HOW = {
    "new request": gettext_lazy("a new request was opened"),
    "reply headers": gettext_lazy("it answers one of our emails (reply headers)"),
    "reference in subject": gettext_lazy("the request's reference is in the subject"),
    "reference in text": gettext_lazy("the request's reference is in the text"),
    "tracking page": gettext_lazy("sent from the request's tracking page"),
    "signed reply address": gettext_lazy("it was sent to this request's own reply address"),
    "suggested: same citizen, same topic, still open": gettext_lazy(
        "linked automatically: same citizen, same topic, request still open"
    ),
    "follow-up of a closed request": gettext_lazy(
        "follow-up of a closed request: a new one was opened"
    ),
}
_ROUTING_RULES = {
    "topic": gettext_lazy("the department that handles the recognised topic"),
    "addressed": gettext_lazy("the department the message was addressed to"),
    "reception": gettext_lazy("the reception department, as no topic was recognised"),
    "unrouted": gettext_lazy("no department could be chosen"),
}
_SKIPPED = {
    "existing request keeps its topic": gettext_lazy(
        "Skipped: the existing request keeps its topic."
    ),
    "existing request stays in its department": gettext_lazy(
        "Skipped: the existing request stays in its department."
    ),
    "reply on an existing request": gettext_lazy("Not sent: reply on an existing request."),
    "automatic sender (auto-reply, bounce or list)": gettext_lazy(
        "Not sent: automatic sender (auto-reply, bounce or mailing list)."
    ),
    "no-reply sender": gettext_lazy("Not sent: the sender does not accept replies."),
}


def _skipped(data: Mapping[str, Any]) -> list[str]:
    reason = str(data["skipped"])
    return [str(_SKIPPED.get(reason, reason))]


def _identify_lines(data: Mapping[str, Any]) -> list[str]:
    lines = []
    if data.get("created"):
        lines.append(_("No known contact point: a new citizen record was created."))
    elif data.get("matched_on"):
        lines.append(
            _("Recognised from the contact point %(value)s.")
            % {
                "value": display_contact(
                    "phone" if str(data["matched_on"]).startswith("+") else "", data["matched_on"]
                )
            }
        )
    if data.get("contacts"):
        lines.append(
            _("Contact points given: %(values)s")
            % {"values": ", ".join(map(str, data["contacts"]))}
        )
    if data.get("unattached"):
        lines.append(
            _(
                "Written from an address not on the citizen's record, which was not added "
                "(check who wrote before answering): %(values)s"
            )
            % {"values": ", ".join(map(str, data["unattached"]))}
        )
    if data.get("relayed_by"):
        lines.append(
            _("Relayed by %(relay)s for %(sender)s.")
            % {
                "relay": data["relayed_by"],
                "sender": data.get("real_sender") or _("an unknown sender"),
            }
        )
    if data.get("ignored"):
        lines.append(
            _("Not recognised as contact points: %(values)s")
            % {"values": ", ".join(map(str, data["ignored"]))}
        )
    for value, owner in (data.get("other_owners") or {}).items():
        lines.append(
            _("%(value)s belongs to another record (#%(owner)s): possible duplicate.")
            % {"value": value, "owner": owner}
        )
    return lines


def _thread_lines(data: Mapping[str, Any]) -> list[str]:
    how = str(data.get("how") or "")
    lines = [
        _("Request %(reference)s: %(how)s.")
        % {"reference": data.get("case") or "?", "how": _THREAD_HOW.get(how, how)}
    ]
    if data.get("refused"):
        lines.append(
            _("References to other citizens' requests were ignored: %(references)s")
            % {"references": ", ".join(map(str, data["refused"]))}
        )
    return lines


def _classify_lines(data: Mapping[str, Any], topic_names: Mapping[int, str]) -> list[str]:
    topic = data.get("topic")
    confidence = data.get("confidence")
    if topic is None:
        lines = [_("No topic recognised.")]
    else:
        lines = [
            _("Topic: %(topic)s (confidence %(confidence)s %%)")
            % {
                "topic": topic_names.get(int(topic), f"#{topic}"),
                "confidence": round(float(confidence or 0) * 100),
            }
        ]
    if data.get("method"):
        lines.append(_("Method: %(method)s") % {"method": data["method"]})
    lines += [_("Why: %(reason)s") % {"reason": reason} for reason in data.get("reasons") or []]
    return lines


def _route_lines(data: Mapping[str, Any]) -> list[str]:
    rule = str(data.get("rule") or "")
    lines = [
        _("Department: %(department)s (rule: %(rule)s).")
        % {
            "department": data.get("department_name") or _("none"),
            "rule": _ROUTING_RULES.get(rule, rule),
        }
    ]
    lines += [_("Why: %(reason)s") % {"reason": reason} for reason in data.get("reasons") or []]
    return lines


def _acknowledge_lines(data: Mapping[str, Any]) -> list[str]:
    return [
        _("Acknowledgement sent on %(channel)s.")
        % {"channel": channel_label(str(data.get("channel") or ""))}
    ]


def describe_step(data: Mapping[str, Any], topic_names: Mapping[int, str]) -> StepView:
    name = str(data.get("step") or "")
    title = str(_STEP_TITLES.get(name, name))
    if "skipped" in data:
        return StepView(name, title, _skipped(data))
    if name == "persist":
        lines = [_("Raw message kept (%(size)s bytes).") % {"size": data.get("size", 0)}]
    elif name == "identify":
        lines = _identify_lines(data)
    elif name == "thread":
        lines = _thread_lines(data)
    elif name == "classify":
        lines = _classify_lines(data, topic_names)
    elif name == "route":
        lines = _route_lines(data)
    elif name == "acknowledge":
        lines = _acknowledge_lines(data)
    else:
        lines = [f"{key}: {value}" for key, value in data.items() if key not in ("step", "at")]
    return StepView(name, title, lines)


def step_topic_ids(entries: list[TimelineEntry]) -> set[int]:
    """Topic ids named by classification steps (to fetch their names in one query)."""
    ids: set[int] = set()
    for entry in entries:
        for step in entry.reception_steps:
            topic = (step.data or {}).get("topic")
            if step.data.get("step") == "classify" and isinstance(topic, int):
                ids.add(topic)
    return ids


# ---------------------------------------------------------------------------------------------
# Entries


def _message_title(message: Message) -> str:
    channel = channel_label(message.channel)
    sender = message.sender_name or message.sender_address
    if message.direction == Direction.INBOUND:
        return _("%(sender)s wrote on %(channel)s") % {
            "sender": sender or _("The citizen"),
            "channel": channel,
        }
    if message.direction == Direction.NOTE:
        return _("Internal note by %(author)s") % {
            "author": message.sender_name or _("a colleague")
        }
    if message.is_automatic:
        return _("Automatic acknowledgement on %(channel)s") % {"channel": channel}
    return _("%(author)s replied on %(channel)s") % {
        "author": message.sender_name or _("An agent"),
        "channel": channel,
    }


def present_timeline(
    entries: list[TimelineEntry], topic_names: Mapping[int, str]
) -> list[EntryView]:
    views: list[EntryView] = []
    for entry in entries:
        if entry.message is not None:
            message = entry.message
            steps = [describe_step(step.data or {}, topic_names) for step in entry.reception_steps]
            route = next((step for step in steps if step.name == "route" and step.lines), None)
            suggested = any(
                (step.data or {}).get("step") == "thread" and (step.data or {}).get("suggested")
                for step in entry.reception_steps
            )
            views.append(
                EntryView(
                    kind=str(message.direction),
                    at=entry.at,
                    title=_message_title(message),
                    message=message,
                    attachments=list(message.attachments.all()),
                    steps=steps,
                    routing_summary=route.lines[0] if route else "",
                    suggested_link=suggested,
                )
            )
        elif entry.event is not None:
            title, details = describe_event(entry.event)
            views.append(
                EntryView(
                    kind="event",
                    at=entry.at,
                    title=title,
                    details=details,
                    actor=entry.event.actor_label,
                )
            )
    return views
