"""The events the desk and the wallboard react to: small frozen dataclasses carrying ids only.

An event names who may receive it (its `Audience`: an organization, the departments whose agents
see the case, the users it concerns personally) and what changed (`kind` and ids). It never
carries content: the browser re-fetches the server-rendered fragment, whose view applies the same
`visible_to` scope as every page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from guichet.core.scopes import AccessScope

if TYPE_CHECKING:
    from guichet.cases.models import Case

CASE_CREATED = "case.created"
CASE_ASSIGNED = "case.assigned"
CASE_UPDATED = "case.updated"
CASE_TRANSFERRED = "case.transferred"
MESSAGE_RECEIVED = "message.received"
ITEM_OFFERED = "item.offered"
PRESENCE_CHANGED = "presence.changed"

# What the desk's queue and case page react to.
DESK_KINDS = (CASE_CREATED, CASE_ASSIGNED, CASE_UPDATED, CASE_TRANSFERRED, MESSAGE_RECEIVED)

# What the supervisor's wallboard reacts to.
SUPERVISION_KINDS = (*DESK_KINDS, ITEM_OFFERED, PRESENCE_CHANGED)

KINDS = (
    CASE_CREATED,
    CASE_ASSIGNED,
    CASE_UPDATED,
    CASE_TRANSFERRED,
    MESSAGE_RECEIVED,
    ITEM_OFFERED,
    PRESENCE_CHANGED,
)


@dataclass(frozen=True)
class Audience:
    """Who may receive an event, with the same rules as `DepartmentScopedQuerySet.visible_to`:
    members seeing the whole organization, agents of one of `department_ids`, and the users of
    `user_ids` (an assignee sees their case wherever it is) — never anyone of another
    organization."""

    organization_id: int
    department_ids: tuple[int, ...] = ()
    user_ids: tuple[int, ...] = ()

    def admits(self, scope: AccessScope) -> bool:
        if scope.is_platform_admin:
            return True
        if self.organization_id not in scope.member_organization_ids:
            return False
        if scope.sees_whole_organization(self.organization_id):
            return True
        if any(department in scope.department_ids for department in self.department_ids):
            return True
        return scope.user_id is not None and scope.user_id in self.user_ids


@dataclass(frozen=True)
class LiveEvent:
    """Base of every event: its audience and the ids the page needs to re-fetch."""

    kind: ClassVar[str] = ""
    organization_id: int

    @property
    def audience(self) -> Audience:
        return Audience(self.organization_id)

    @property
    def data(self) -> dict[str, int | None]:
        return {}


@dataclass(frozen=True)
class _CaseEvent(LiveEvent):
    case_id: int
    department_id: int | None
    assignee_id: int | None

    @property
    def audience(self) -> Audience:
        return Audience(
            self.organization_id,
            _ids(self.department_id, *self._other_departments()),
            _ids(self.assignee_id, *self._other_users()),
        )

    def _other_departments(self) -> tuple[int | None, ...]:
        return ()

    def _other_users(self) -> tuple[int | None, ...]:
        return ()

    @property
    def data(self) -> dict[str, int | None]:
        return {"case_id": self.case_id}


@dataclass(frozen=True)
class CaseCreated(_CaseEvent):
    kind: ClassVar[str] = CASE_CREATED


@dataclass(frozen=True)
class CaseUpdated(_CaseEvent):
    """Status, priority, topic, a note or a reply: anything shown on the case or in the queue."""

    kind: ClassVar[str] = CASE_UPDATED


@dataclass(frozen=True)
class CaseAssigned(_CaseEvent):
    kind: ClassVar[str] = CASE_ASSIGNED
    previous_assignee_id: int | None = None

    def _other_users(self) -> tuple[int | None, ...]:
        return (self.previous_assignee_id,)

    @property
    def data(self) -> dict[str, int | None]:
        return {"case_id": self.case_id, "assignee_id": self.assignee_id}


@dataclass(frozen=True)
class CaseTransferred(_CaseEvent):
    """The case left `previous_department_id`: its agents are told so their queue drops it."""

    kind: ClassVar[str] = CASE_TRANSFERRED
    previous_department_id: int | None = None
    previous_assignee_id: int | None = None

    def _other_departments(self) -> tuple[int | None, ...]:
        return (self.previous_department_id,)

    def _other_users(self) -> tuple[int | None, ...]:
        return (self.previous_assignee_id,)


@dataclass(frozen=True)
class MessageReceived(_CaseEvent):
    kind: ClassVar[str] = MESSAGE_RECEIVED
    message_id: int | None = None

    @property
    def data(self) -> dict[str, int | None]:
        return {"case_id": self.case_id, "message_id": self.message_id}


@dataclass(frozen=True)
class ItemOffered(LiveEvent):
    """A routed item offered to one agent (push mode): the agent and the supervisors see it."""

    kind: ClassVar[str] = ITEM_OFFERED
    agent_id: int
    case_id: int | None = None
    offer_id: int | None = None

    @property
    def audience(self) -> Audience:
        return Audience(self.organization_id, (), (self.agent_id,))

    @property
    def data(self) -> dict[str, int | None]:
        return {"agent_id": self.agent_id, "case_id": self.case_id, "offer_id": self.offer_id}


@dataclass(frozen=True)
class PresenceChanged(LiveEvent):
    """An agent became available, busy, on break or offline: the supervisors' wallboard."""

    kind: ClassVar[str] = PRESENCE_CHANGED
    agent_id: int

    @property
    def audience(self) -> Audience:
        return Audience(self.organization_id, (), (self.agent_id,))

    @property
    def data(self) -> dict[str, int | None]:
        return {"agent_id": self.agent_id}


def case_event(
    kind: str,
    case: Case,
    *,
    previous_department_id: int | None = None,
    previous_assignee_id: int | None = None,
    message_id: int | None = None,
) -> LiveEvent:
    """The event of `kind` for `case` as it stands now (called at commit time)."""
    organization_id: int = case.organization_id
    case_id: int = case.pk
    department_id, assignee_id = case.department_id, case.assignee_id
    if kind == CASE_CREATED:
        return CaseCreated(organization_id, case_id, department_id, assignee_id)
    if kind == CASE_UPDATED:
        return CaseUpdated(organization_id, case_id, department_id, assignee_id)
    if kind == CASE_ASSIGNED:
        return CaseAssigned(
            organization_id, case_id, department_id, assignee_id, previous_assignee_id
        )
    if kind == CASE_TRANSFERRED:
        return CaseTransferred(
            organization_id,
            case_id,
            department_id,
            assignee_id,
            previous_department_id,
            previous_assignee_id,
        )
    if kind == MESSAGE_RECEIVED:
        return MessageReceived(organization_id, case_id, department_id, assignee_id, message_id)
    raise ValueError(f"not a case event: {kind}")


@dataclass(frozen=True)
class Envelope:
    """An event as the brokers carry it: a position in the stream (`id`, for Last-Event-ID)."""

    id: str
    kind: str
    audience: Audience
    data: dict[str, int | None] = field(default_factory=dict)


def _ids(*values: int | None) -> tuple[int, ...]:
    return tuple(sorted({value for value in values if value is not None}))
