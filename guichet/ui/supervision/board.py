"""What the wallboard shows, read in a fixed number of queries whatever the size of the
organization: per department, per agent, the breached deadlines and the arrivals surge.

Waiting and oldest wait come from the routing items still in line (waiting or offered to an
agent), which is what routing serves; handled today and overdue come from the cases; the speed
figures (service level, average speed of answer, abandonment) from today's routing items through
`guichet.insights.kpis`, so they mean what they mean everywhere else. The service level of a
channel is measured against its "pick up" SLA policy when the organization set one (the most
specific: department and channel, then department, then channel), else `SERVICE_LEVEL_TARGET_S`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from guichet.cases.lifecycle import ACTIVE_STATUSES
from guichet.cases.models import Case
from guichet.insights import kpis
from guichet.insights.surge import SurgeAssessment, assess_surge, same_hour_windows
from guichet.organizations.models import Department, Membership, Organization, Role
from guichet.routing.models import (
    AgentPresence,
    ItemKind,
    ItemState,
    PresenceState,
    RoutingItem,
    WorkChannel,
)
from guichet.sla.calendar import Delay, DelayUnit
from guichet.sla.models import SlaPolicy, Target

# Service level: the share of today's routed items taken by an agent within this many seconds,
# for a channel without a "pick up" SLA policy.
SERVICE_LEVEL_TARGET_S = 20.0
# Routing items still in line: waiting, or offered to an agent who has not accepted yet.
IN_LINE_STATES = (ItemState.WAITING, ItemState.OFFERED)
# Abandons within this many seconds (a wrong number, a change of mind) are left out.
SHORT_ABANDON_S = 5.0
# Previous weeks the usual arrivals of this hour are drawn from.
SURGE_WEEKS = 4
# Breached deadlines listed at most.
BREACHES_SHOWN = 25


@dataclass(frozen=True)
class QueueRow:
    department: Department
    waiting: int
    oldest_wait_s: float | None
    overdue: int
    handled_today: int
    kpis: kpis.KpiSummary

    @property
    def oldest_wait_label(self) -> str:
        return wait_label(self.oldest_wait_s)


@dataclass(frozen=True)
class AgentRow:
    membership: Membership
    state: str
    state_label: str
    state_since: datetime | None
    load: int


@dataclass(frozen=True)
class Board:
    organization: Organization
    now: datetime
    queues: list[QueueRow]
    agents: list[AgentRow]
    agents_by_state: list[tuple[str, str, int]]
    breaches: list[Case]
    surge: SurgeAssessment
    departments: list[Department]
    # (work channel's label, the organization-wide service-level target in seconds)
    targets: tuple[tuple[str, float], ...]

    @property
    def waiting_max(self) -> int:
        return max((row.waiting for row in self.queues), default=0)


def supervised_organizations(memberships: list[Membership]) -> list[Organization]:
    """The organizations whose wallboard this user may see: supervisors and administrators."""
    return [m.organization for m in memberships if m.role in (Role.SUPERVISOR, Role.ADMINISTRATOR)]


def load_board(organization: Organization, now: datetime | None = None) -> Board:
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    departments = list(
        Department.objects.filter(organization=organization, is_active=True).order_by("name")
    )
    cases = Case.objects.filter(organization=organization)
    active = Q(status__in=ACTIVE_STATUSES)
    figures = {
        row["department_id"]: row
        for row in cases.filter(active | Q(resolved_at__gte=day_start))
        .values("department_id")
        .annotate(
            overdue=Count("pk", filter=active & Q(due_at__lt=now)),
            handled=Count("pk", filter=Q(resolved_at__gte=day_start)),
        )
    }
    in_line = {
        row["department_id"]: row
        for row in RoutingItem.objects.filter(organization=organization, state__in=IN_LINE_STATES)
        .values("department_id")
        .annotate(waiting=Count("pk"), oldest=Min("waiting_since"))
    }
    contacts: dict[int | None, list[kpis.Contact]] = {}
    for item in RoutingItem.objects.filter(
        organization=organization, created_at__gte=day_start
    ).values(
        "pk",
        "department_id",
        "kind",
        "channel",
        "state",
        "waiting_since",
        "assigned_at",
        "finished_at",
    ):
        contacts.setdefault(item["department_id"], []).append(_contact(item))
    targets = PickupTargets.load(organization)
    queues = []
    for department in departments:
        row = figures.get(department.pk, {})
        line = in_line.get(department.pk, {})
        oldest = line.get("oldest")
        queues.append(
            QueueRow(
                department=department,
                waiting=line.get("waiting", 0),
                oldest_wait_s=max(0.0, (now - oldest).total_seconds()) if oldest else None,
                overdue=row.get("overdue", 0),
                handled_today=row.get("handled", 0),
                kpis=_summary(contacts.get(department.pk, []), department.pk, targets, now),
            )
        )
    agents = _agents(organization)
    return Board(
        organization=organization,
        now=now,
        queues=queues,
        agents=agents,
        agents_by_state=[
            (state, str(label), sum(1 for a in agents if a.state == state))
            for state, label in PresenceState.choices
        ],
        breaches=list(
            cases.filter(active, due_at__lt=now)
            .select_related("department", "assignee")
            .order_by("due_at", "pk")[:BREACHES_SHOWN]
        ),
        surge=_surge(organization, now),
        departments=departments,
        targets=tuple(
            (str(label), targets.target_s(None, channel)) for channel, label in WorkChannel.choices
        ),
    )


@dataclass(frozen=True)
class PickupTargets:
    """The organization's active "pick up" SLA policies (without a topic), as seconds."""

    # (department id or None, channel or "", seconds)
    policies: tuple[tuple[int | None, str, float], ...]

    @classmethod
    def load(cls, organization: Organization) -> PickupTargets:
        rows = SlaPolicy.objects.filter(
            organization=organization, target=Target.PICKUP, is_active=True, topic__isnull=True
        ).values_list("department_id", "channel", "amount", "unit", "pk")
        policies = []
        for department_id, channel, amount, unit, _pk in sorted(rows, key=lambda r: r[4]):
            if unit == DelayUnit.WORKING_DAYS:
                seconds = amount * 86400.0
            else:
                seconds = Delay(amount, DelayUnit(unit)).duration.total_seconds()
            policies.append((department_id, channel, seconds))
        return cls(tuple(policies))

    def target_s(self, department_id: int | None, channel: str) -> float:
        """The most specific policy for this department and channel (department, then channel,
        then the oldest policy), else the default target."""
        best: tuple[int, float] | None = None
        for policy_department, policy_channel, seconds in self.policies:
            if policy_department not in (None, department_id):
                continue
            if policy_channel not in ("", channel):
                continue
            specificity = (2 if policy_department else 0) + (1 if policy_channel else 0)
            if best is None or specificity > best[0]:
                best = (specificity, seconds)
        return best[1] if best is not None else SERVICE_LEVEL_TARGET_S


def _summary(
    contacts: Iterable[kpis.Contact], department_id: int, targets: PickupTargets, now: datetime
) -> kpis.KpiSummary:
    """The department's figures; its service level weighs each channel against its own target."""
    rows = list(contacts)
    summary = kpis.summarize(
        rows, target_s=SERVICE_LEVEL_TARGET_S, now=now, short_abandon_s=SHORT_ABANDON_S
    )
    by_target: dict[float, list[kpis.Contact]] = defaultdict(list)
    for contact in rows:
        by_target[targets.target_s(department_id, contact.channel)].append(contact)
    in_time = counted = 0.0
    for target_s, group in by_target.items():
        part = kpis.summarize(group, target_s=target_s, now=now, short_abandon_s=SHORT_ABANDON_S)
        if part.service_level is not None:
            weight = part.answered + part.abandoned
            in_time += part.service_level * weight
            counted += weight
    return replace(summary, service_level=in_time / counted if counted else None)


def _contact(item: Mapping[str, Any]) -> kpis.Contact:
    assigned_at = item["assigned_at"]
    abandoned = item["state"] == ItemState.CANCELLED and assigned_at is None
    return kpis.Contact(
        id=item["pk"],
        offered_at=item["waiting_since"],
        answered_at=assigned_at,
        abandoned_at=item["finished_at"] if abandoned else None,
        callback=item["kind"] == ItemKind.CALLBACK,
        channel=item["channel"],
    )


def _agents(organization: Organization) -> list[AgentRow]:
    memberships = list(
        Membership.objects.filter(organization=organization, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    presences = {p.agent_id: p for p in AgentPresence.objects.filter(organization=organization)}
    loads = dict(
        Case.objects.filter(
            organization=organization, status__in=ACTIVE_STATUSES, assignee__isnull=False
        )
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    labels = dict(PresenceState.choices)
    rows = []
    for membership in memberships:
        presence = presences.get(membership.user_id)
        state = presence.state if presence else PresenceState.OFFLINE
        rows.append(
            AgentRow(
                membership=membership,
                state=state,
                state_label=str(labels[state]),
                state_since=presence.state_since if presence else None,
                load=loads.get(membership.user_id, 0),
            )
        )
    return rows


def _surge(organization: Organization, now: datetime) -> SurgeAssessment:
    windows = same_hour_windows(now, SURGE_WEEKS)
    counts = Case.objects.filter(
        organization=organization,
        created_at__gte=windows[-1][0],
        created_at__lt=now,
    ).aggregate(
        **{
            f"w{k}": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
            for k, (start, end) in enumerate(windows)
        }
    )
    observed = counts["w0"]
    # Weeks before the organization existed are not "usual zero" arrivals.
    history = [
        counts[f"w{k}"] for k in range(1, len(windows)) if windows[k][0] >= organization.created_at
    ]
    return assess_surge(observed, history)


def wait_label(seconds: float | None) -> str:
    """ "1 h 05", "12 min", or a dash when nothing waits."""
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"
