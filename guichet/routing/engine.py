"""The department decision: pure Python, no ORM. A frozen context in, a decision with reasons out.

The inbound pipeline asks it which department's queue a new case joins (step 5, docs/pipeline.md).
Which agent then gets the case, and when, is the assignment engine's answer
(`guichet.routing.assignment`, same contract: frozen inputs, a decision with its reasons).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class RoutingContext:
    organization_id: int
    topic_id: int | None
    # topic id -> department id, only active topics of active departments
    topic_departments: Mapping[int, int]
    active_department_ids: frozenset[int]
    default_department_id: int | None
    # departments whose address the message was sent to (e.g. urbanisme@ville.fr)
    addressed_department_ids: tuple[int, ...] = ()
    classification_confidence: float = 0.0
    # Names, so that the reasons read as sentences on the case timeline.
    topic_names: Mapping[int, str] = field(default_factory=dict)
    department_names: Mapping[int, str] = field(default_factory=dict)

    def department_name(self, department_id: int | None) -> str:
        return self.department_names.get(department_id or 0, f"#{department_id}")

    def topic_name(self, topic_id: int | None) -> str:
        return self.topic_names.get(topic_id or 0, f"#{topic_id}")


@dataclass(frozen=True)
class RoutingDecision:
    department_id: int | None
    agent_id: int | None
    rule: str
    reasons: tuple[str, ...] = field(default_factory=tuple)


def decide(context: RoutingContext) -> RoutingDecision:
    if context.topic_id is not None:
        department = context.topic_departments.get(context.topic_id)
        if department is not None and department in context.active_department_ids:
            return RoutingDecision(
                department,
                None,
                "topic",
                (
                    _("the topic “%(topic)s” is handled by %(department)s")
                    % {
                        "topic": context.topic_name(context.topic_id),
                        "department": context.department_name(department),
                    },
                    _("confidence of the classification: %(confidence)d%%")
                    % {"confidence": round(context.classification_confidence * 100)},
                ),
            )
    for department in context.addressed_department_ids:
        if department in context.active_department_ids:
            return RoutingDecision(
                department,
                None,
                "addressed",
                (
                    _("the message was sent to the address of %(department)s")
                    % {"department": context.department_name(department)},
                ),
            )
    if context.default_department_id in context.active_department_ids:
        return RoutingDecision(
            context.default_department_id,
            None,
            "reception",
            (
                _("no topic recognised: %(department)s, the reception department, sorts it")
                % {"department": context.department_name(context.default_department_id)},
            ),
        )
    return RoutingDecision(
        None,
        None,
        "unrouted",
        (_("no department could be chosen: supervisors see the request in every queue"),),
    )
