"""Writes of the SLA context: policies and presets, the pause while waiting for the citizen, due
dates recomputed on re-routing, and the escalation of cases that are due soon or late.

The case actions call `on_status_change` and `recompute_due_at` (guichet/cases/actions.py); the
periodic job calls `escalate_cases`. No signals: every call is explicit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.cases.lifecycle import Status
from guichet.cases.models import Case, Priority
from guichet.sla.calendar import DelayUnit, add_working_time, working_time_between
from guichet.sla.escalation import level_at
from guichet.sla.models import CaseClock, Level, SlaPolicy, Target
from guichet.sla.policies import calendar_for, due_at_for_case

if TYPE_CHECKING:
    from guichet.organizations.models import Department, Organization, Topic

# Timeline event kinds written by this app (CaseEvent.kind; the desk shows their label).
EVENT_PAUSED = "sla.paused"
EVENT_RESUMED = "sla.resumed"
EVENT_DUE_CHANGED = "sla.due_changed"
EVENT_NEAR = "sla.due_soon"
EVENT_BREACHED = "sla.breached"
SLA_ACTOR = "SLA"

# The priority an escalation raises a case to (never lowered by escalation).
LEVEL_PRIORITY = {Level.NEAR: Priority.HIGH, Level.BREACHED: Priority.URGENT}


class SlaPolicyError(ValueError):
    """A policy that cannot be saved; the message is shown to the administrator."""


def _append(case: Case, kind: str, data: dict[str, Any], actor: Any = None) -> None:
    from guichet.cases.actions import append_event

    append_event(case, kind, actor=actor, actor_label="" if actor else SLA_ACTOR, data=data)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# ---------------------------------------------------------------------------------------------
# Policies


@dataclass(frozen=True)
class PolicySpec:
    name: str
    amount: int
    unit: str = DelayUnit.WORKING_DAYS
    target: str = Target.ANSWER
    channel: str = ""


# Référentiel Marianne (the State's reception commitments): mail and forms answered within
# 5 working days, letters within 15, the phone picked up within about 20 seconds. Editable data.
MARIANNE: tuple[PolicySpec, ...] = (
    PolicySpec("Marianne — emails", 5, channel="email"),
    PolicySpec("Marianne — web forms", 5, channel="portal"),
    PolicySpec("Marianne — letters", 15, channel="letter"),
    PolicySpec(
        "Marianne — phone pick-up",
        20,
        unit=DelayUnit.SECONDS,
        target=Target.PICKUP,
        channel="phone",
    ),
)
MARIANNE_PRESET = "marianne"


def do_create_policy(
    organization: Organization,
    *,
    name: str,
    amount: int,
    unit: str = DelayUnit.WORKING_DAYS,
    target: str = Target.ANSWER,
    department: Department | None = None,
    channel: str = "",
    topic: Topic | None = None,
    preset: str = "",
) -> SlaPolicy:
    """A new policy, validated (a zero or negative delay is refused with `SlaPolicyError`)."""
    policy = SlaPolicy(
        organization=organization,
        name=name,
        amount=amount,
        unit=unit,
        target=target,
        department=department,
        channel=channel,
        topic=topic,
        preset=preset,
    )
    try:
        policy.full_clean()
    except ValidationError as error:
        raise SlaPolicyError(" ".join(error.messages)) from None
    policy.save(force_insert=True)
    return policy


@transaction.atomic
def do_apply_marianne_preset(organization: Organization) -> list[SlaPolicy]:
    """Create the Marianne policies the organization does not have yet (by name); existing ones,
    possibly edited since, are left alone. Returns the policies created."""
    existing = set(
        SlaPolicy.objects.filter(organization=organization).values_list("name", flat=True)
    )
    return [
        do_create_policy(
            organization,
            name=spec.name,
            amount=spec.amount,
            unit=spec.unit,
            target=spec.target,
            channel=spec.channel,
            preset=MARIANNE_PRESET,
        )
        for spec in MARIANNE
        if spec.name not in existing
    ]


# ---------------------------------------------------------------------------------------------
# Case hooks


def _clock(case: Case) -> CaseClock:
    clock, _created = CaseClock.objects.select_for_update().get_or_create(
        case_id=case.pk, defaults={"organization_id": case.organization_id}
    )
    return clock


@transaction.atomic
def on_status_change(case: Case, old: str, new: str, *, at: datetime | None = None) -> None:
    """Called by the case lifecycle after every transition: entering "waiting for the citizen"
    stops the SLA clock; leaving it for "in progress" restarts it and moves the due date by the
    working time spent waiting."""
    now = at or timezone.now()
    if new == Status.WAITING and old != Status.WAITING:
        clock = _clock(case)
        clock.paused_at = now
        clock.save(update_fields=["paused_at"])
        _append(case, EVENT_PAUSED, {"due_at": _iso(case.due_at)})
        return
    if old != Status.WAITING or new == Status.WAITING:
        return
    stopped = CaseClock.objects.select_for_update().filter(case_id=case.pk).first()
    if stopped is None or stopped.paused_at is None:
        return
    calendar = calendar_for(case.organization_id, case.department_id)
    paused = max(working_time_between(stopped.paused_at, now, calendar), timedelta(0))
    stopped.paused_seconds += int(paused.total_seconds())
    stopped.paused_at = None
    stopped.save(update_fields=["paused_seconds", "paused_at"])
    if new != Status.OPEN or case.due_at is None or paused <= timedelta(0):
        return
    previous = case.due_at
    case.due_at = add_working_time(previous, paused, calendar)
    case.save(update_fields=["due_at"])
    _append(
        case,
        EVENT_RESUMED,
        {"from": _iso(previous), "to": _iso(case.due_at), "paused_s": int(paused.total_seconds())},
    )


@transaction.atomic
def recompute_due_at(case: Case, *, actor: Any = None) -> None:
    """After re-routing (topic or department changed): the due date the policies now give, counted
    from the reception and extended by the time spent waiting for the citizen."""
    if not case.is_active:
        return
    previous = case.due_at
    case.due_at = due_at_for_case(case)
    if case.due_at == previous:
        return
    case.save(update_fields=["due_at"])
    _append(case, EVENT_DUE_CHANGED, {"from": _iso(previous), "to": _iso(case.due_at)}, actor)


# ---------------------------------------------------------------------------------------------
# Escalation


@dataclass(frozen=True)
class EscalationReport:
    checked: int
    due_soon: int
    breached: int


def escalate_cases(now: datetime | None = None) -> EscalationReport:
    """Flag active cases (not waiting for the citizen) that are due soon or late: one timeline
    event per threshold and due date, and the priority raised. Idempotent."""
    now = now or timezone.now()
    ratio = settings.GUICHET_SLA_NEAR_RATIO
    checked = near = breached = 0
    candidates = (
        Case.objects.filter(status__in=(Status.NEW, Status.OPEN), due_at__isnull=False)
        .select_related("sla_clock")
        .only(
            "pk",
            "organization_id",
            "created_at",
            "due_at",
            "priority",
            "status",
            "sla_clock__signalled_level",
            "sla_clock__signalled_due_at",
        )
    )
    for case in candidates.iterator(chunk_size=500):
        checked += 1
        level = level_at(case.created_at, case.due_at, now, ratio)
        if level == Level.ON_TIME:
            continue
        clock = getattr(case, "sla_clock", None)
        if (
            clock is not None
            and clock.signalled_due_at == case.due_at
            and clock.signalled_level >= level
        ):
            continue
        if _escalate(case.pk, level, now):
            if level == Level.BREACHED:
                breached += 1
            else:
                near += 1
    return EscalationReport(checked=checked, due_soon=near, breached=breached)


@transaction.atomic
def _escalate(case_id: int, level: int, now: datetime) -> bool:
    from guichet.cases.actions import append_event
    from guichet.cases.models import EventKind

    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.due_at is None:
        return False
    clock = _clock(case)
    already = clock.signalled_level if clock.signalled_due_at == case.due_at else Level.ON_TIME
    if already >= level:
        return False
    for step in (Level.NEAR, Level.BREACHED):
        if already < step <= level:
            _append(
                case,
                EVENT_NEAR if step == Level.NEAR else EVENT_BREACHED,
                {"due_at": _iso(case.due_at)},
            )
    wanted = LEVEL_PRIORITY[Level(level)]
    if case.priority < wanted:
        old = case.priority
        case.priority = wanted
        case.updated_at = now
        case.save(update_fields=["priority", "updated_at"])
        append_event(
            case,
            EventKind.PRIORITY_CHANGED,
            actor_label=SLA_ACTOR,
            data={"from": old, "to": int(wanted), "reason": _("service level")},
        )
        # The routing item's serving order follows (a local import: routing imports cases).
        from guichet.routing.case_sync import sync_case_on_commit

        sync_case_on_commit(case)
    clock.signalled_level = level
    clock.signalled_due_at = case.due_at
    clock.save(update_fields=["signalled_level", "signalled_due_at"])
    return True
