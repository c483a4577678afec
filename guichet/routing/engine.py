"""The routing engine: pure Python, no ORM. A frozen context in, a decision with reasons out.

This first version routes a case to a department's queue; issue #4 extends the same contract with
queues, skills, presence and agent offers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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
                    f"topic {context.topic_id} is handled by department {department}",
                    f"classification confidence {context.classification_confidence:.2f}",
                ),
            )
    for department in context.addressed_department_ids:
        if department in context.active_department_ids:
            return RoutingDecision(
                department,
                None,
                "addressed",
                (f"the message was addressed to department {department}",),
            )
    if context.default_department_id in context.active_department_ids:
        return RoutingDecision(
            context.default_department_id,
            None,
            "reception",
            ("no topic recognised: the reception department sorts it",),
        )
    return RoutingDecision(
        None, None, "unrouted", ("no department could be chosen: supervisors see it in triage",)
    )
