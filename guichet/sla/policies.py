"""Reads: which calendar and which SLA policy apply to a case, and the due date they give.

`due_at_for` is what the case actions call when a case is opened, routed or re-routed;
`announced_delay` is what the citizen is told. A case no policy matches keeps the organization's
(or its topic's) announced delay in working days, on the department's calendar.

Inside `sla_snapshots()` (the inbound pipeline opens one per message received and per batch), an
organization's SLA configuration — its active policies and its calendars with their opening hours
and closures — is read once, in a fixed number of queries, into an `SlaSnapshot` that answers
every lookup of the scope in memory; its due dates are memoised. Outside a scope, every lookup
reads the database, so a policy created a moment ago always applies. A scope is never shared
between calls: a change made by an administrator applies from the next message or batch on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.sla.calendar import (
    WEEKDAYS_ALL_DAY,
    Calendar,
    Delay,
    DelayUnit,
    add_working_time,
)
from guichet.sla.models import CaseClock, SlaPolicy, Target, WorkCalendar

if TYPE_CHECKING:
    from guichet.cases.models import Case
    from guichet.organizations.models import Department, Organization, Topic

# The attribute where the delay used for a case's due date is kept on the instance, so that the
# acknowledgement that follows in the same pipeline run does not look it up again.
_DELAY_ATTRIBUTE = "_sla_delay"


@dataclass(frozen=True)
class Resolution:
    delay: Delay
    calendar: Calendar
    policy: SlaPolicy | None


def calendar_from(work_calendar: WorkCalendar | None) -> Calendar:
    """The pure `Calendar` of a stored one (prefetched opening hours and closures)."""
    if work_calendar is None:
        return Calendar()
    opening: dict[int, list[tuple[time, time | None]]] = {}
    for hours in work_calendar.opening_hours.all():
        opening.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    return Calendar(
        time_zone=work_calendar.zone_name,
        opening={day: tuple(ranges) for day, ranges in opening.items()} or WEEKDAYS_ALL_DAY,
        subdivision=work_calendar.territory or None,
        closures=tuple((c.starts_on, c.ends_on) for c in work_calendar.closures.all()),
    )


class SlaSnapshot:
    """One organization's SLA configuration, read in four queries at most (policies; calendars,
    their opening hours, their closures), answering as `policy_for` and `calendar_for` would."""

    def __init__(self, organization_id: int) -> None:
        self.organization_id = organization_id
        self.policies = tuple(
            SlaPolicy.objects.filter(organization_id=organization_id, is_active=True)
        )
        self._calendars: dict[int | None, Calendar] = {}
        for stored in WorkCalendar.objects.filter(organization_id=organization_id).prefetch_related(
            "opening_hours", "closures"
        ):
            self._calendars[stored.department_id] = calendar_from(stored)
        self._default = self._calendars.get(None, Calendar())
        self._due: dict[tuple[int | None, Delay, datetime, timedelta], datetime] = {}

    def policy_for(
        self,
        *,
        department_id: int | None,
        channel: str,
        topic_id: int | None,
        target: str = Target.ANSWER,
    ) -> SlaPolicy | None:
        return _most_specific(
            p
            for p in self.policies
            if p.target == target
            and p.department_id in (None, department_id)
            and p.channel in ("", channel)
            and p.topic_id in (None, topic_id)
        )

    def _calendar_key(self, department_id: int | None) -> int | None:
        return department_id if department_id in self._calendars else None

    def calendar_for(self, department_id: int | None) -> Calendar:
        return self._calendars.get(self._calendar_key(department_id), self._default)

    def add_working_time(
        self, start: datetime, delay: Delay, paused: timedelta, department_id: int | None
    ) -> datetime:
        """`add_working_time` on the department's calendar (then `paused` more), memoised."""
        key = (self._calendar_key(department_id), delay, start, paused)
        due = self._due.get(key)
        if due is None:
            calendar = self.calendar_for(department_id)
            due = add_working_time(start, delay, calendar)
            if paused > timedelta(0):
                due = add_working_time(due, paused, calendar)
            self._due[key] = due
        return due


_SCOPE: ContextVar[dict[int, SlaSnapshot] | None] = ContextVar("sla_snapshots", default=None)


@contextmanager
def sla_snapshots() -> Iterator[None]:
    """Within: each organization's SLA configuration is read once (`SlaSnapshot`) and reused by
    every lookup. For a unit of work that changes no policy or calendar (a message received, a
    batch); a scope opened inside another one joins it."""
    if _SCOPE.get() is not None:
        yield
        return
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def _snapshot(organization_id: int) -> SlaSnapshot | None:
    """The scope's snapshot of this organization (read now if it is the first lookup); None
    outside a scope."""
    scope = _SCOPE.get()
    if scope is None:
        return None
    snapshot = scope.get(organization_id)
    if snapshot is None:
        snapshot = scope[organization_id] = SlaSnapshot(organization_id)
    return snapshot


def _most_specific(candidates: Iterable[SlaPolicy]) -> SlaPolicy | None:
    """Topic beats department beats channel; ties go to the most recently created."""
    best = None
    for policy in candidates:
        if best is None or (policy.specificity, policy.created_at, policy.pk) > (
            best.specificity,
            best.created_at,
            best.pk,
        ):
            best = policy
    return best


def calendar_for(organization_id: int, department_id: int | None) -> Calendar:
    """The department's calendar, else the organization's, else weekdays all day in Paris."""
    snapshot = _snapshot(organization_id)
    if snapshot is not None:
        return snapshot.calendar_for(department_id)
    calendars = list(
        WorkCalendar.objects.filter(organization_id=organization_id)
        .filter(Q(department__isnull=True) | Q(department_id=department_id))
        .prefetch_related("opening_hours", "closures")
    )
    chosen = next((c for c in calendars if c.department_id is not None), None)
    if chosen is None:
        chosen = next(iter(calendars), None)
    return calendar_from(chosen)


def policy_for(
    organization_id: int,
    *,
    department_id: int | None,
    channel: str,
    topic_id: int | None,
    target: str = Target.ANSWER,
) -> SlaPolicy | None:
    """The most specific active policy matching these: topic beats department beats channel; ties
    go to the most recently created."""
    snapshot = _snapshot(organization_id)
    if snapshot is not None:
        return snapshot.policy_for(
            department_id=department_id, channel=channel, topic_id=topic_id, target=target
        )
    candidates = SlaPolicy.objects.filter(
        organization_id=organization_id, target=target, is_active=True
    ).filter(
        Q(department__isnull=True) | Q(department_id=department_id),
        Q(channel="") | Q(channel=channel),
        Q(topic__isnull=True) | Q(topic_id=topic_id),
    )
    return _most_specific(candidates)


def delay_for(
    organization: Organization,
    *,
    department: Department | None,
    channel: str,
    topic: Topic | None,
) -> tuple[Delay, SlaPolicy | None]:
    """The announced delay: the most specific matching policy, where a topic's own delay
    (`Topic.response_days`) counts as a policy on that topic; else the organization's delay in
    working days."""
    policy = policy_for(
        organization.pk,
        department_id=department.pk if department is not None else None,
        channel=channel,
        topic_id=topic.pk if topic is not None else None,
    )
    if policy is not None and (policy.topic_id is not None or not _topic_days(topic)):
        return Delay(policy.amount, DelayUnit(policy.unit)), policy
    if _topic_days(topic):
        # A topic's own announced delay is a topic policy: it beats department and channel ones.
        return Delay(_topic_days(topic), DelayUnit.WORKING_DAYS), None
    if policy is not None:
        return Delay(policy.amount, DelayUnit(policy.unit)), policy
    return Delay(max(organization.response_days, 1), DelayUnit.WORKING_DAYS), None


def _topic_days(topic: Topic | None) -> int:
    return (topic.response_days or 0) if topic is not None else 0


def resolve(
    organization: Organization,
    *,
    department: Department | None,
    channel: str,
    topic: Topic | None,
) -> Resolution:
    delay, policy = delay_for(organization, department=department, channel=channel, topic=topic)
    department_id = department.pk if department is not None else None
    return Resolution(delay, calendar_for(organization.pk, department_id), policy)


def due_at_for(
    organization: Organization,
    *,
    department: Department | None,
    channel: str,
    topic: Topic | None,
    start: datetime,
    paused: timedelta = timedelta(0),
    case: Case | None = None,
) -> datetime:
    """When the answer is due for a case received at `start` that waited `paused` (working
    time) for the citizen. Given `case`, remembers the delay on it for `announced_delay`."""
    snapshot = _snapshot(organization.pk)
    if snapshot is not None:
        delay, _policy = delay_for(
            organization, department=department, channel=channel, topic=topic
        )
        department_id = department.pk if department is not None else None
        due = snapshot.add_working_time(start, delay, paused, department_id)
    else:
        resolution = resolve(organization, department=department, channel=channel, topic=topic)
        delay = resolution.delay
        due = add_working_time(start, delay, resolution.calendar)
        if paused > timedelta(0):
            due = add_working_time(due, paused, resolution.calendar)
    if case is not None:
        setattr(case, _DELAY_ATTRIBUTE, delay)
    return due


def due_at_for_case(case: Case) -> datetime:
    """The due date of `case` from its reception, topic, department, channel and pauses."""
    paused = (
        CaseClock.objects.filter(case_id=case.pk).values_list("paused_seconds", flat=True).first()
        if case.pk
        else None
    )
    return due_at_for(
        case.organization,
        department=case.department,
        channel=case.channel,
        topic=case.topic,
        start=case.created_at,
        paused=timedelta(seconds=paused or 0),
        case=case,
    )


def describe_delay(delay: Delay) -> str:
    """ "5 working days", "4 working hours", "20 seconds"."""
    count = delay.amount
    if delay.unit == DelayUnit.WORKING_DAYS:
        return ngettext("%(count)d working day", "%(count)d working days", count) % {"count": count}
    if delay.unit == DelayUnit.WORKING_HOURS:
        return ngettext("%(count)d working hour", "%(count)d working hours", count) % {
            "count": count
        }
    if delay.unit == DelayUnit.WORKING_MINUTES:
        return ngettext("%(count)d working minute", "%(count)d working minutes", count) % {
            "count": count
        }
    return ngettext("%(count)d second", "%(count)d seconds", count) % {"count": count}


def announced_delay(case: Case) -> tuple[datetime | None, str]:
    """The due date announced to the citizen and the delay in words: (due_at, "1 December 2026
    (5 working days)"), as the acknowledgement says "We commit to answering by ...". Without a
    due date: (None, "")."""
    if case.due_at is None:
        return None, ""
    delay = getattr(case, _DELAY_ATTRIBUTE, None)
    if delay is None:
        delay, _policy = delay_for(
            case.organization, department=case.department, channel=case.channel, topic=case.topic
        )
    local = timezone.localtime(case.due_at)
    if delay.unit == DelayUnit.WORKING_DAYS:
        when = formats.date_format(local, "DATE_FORMAT")
    else:
        when = formats.date_format(local, "DATETIME_FORMAT")
    text = _("%(date)s (%(delay)s)") % {"date": when, "delay": describe_delay(delay)}
    return case.due_at, text


def pickup_target(
    organization: Organization, *, department: Department | None, channel: str
) -> timedelta | None:
    """The pick-up target for live channels (phone, chat): the most specific active "pick up"
    policy, as a duration; None when there is none. Read by supervision (service level)."""
    policy = policy_for(
        organization.pk,
        department_id=department.pk if department is not None else None,
        channel=channel,
        topic_id=None,
        target=Target.PICKUP,
    )
    if policy is None:
        return None
    delay = Delay(policy.amount, DelayUnit(policy.unit))
    if delay.unit == DelayUnit.WORKING_DAYS:
        return timedelta(days=delay.amount)
    return delay.duration


__all__ = [
    "Resolution",
    "SlaSnapshot",
    "announced_delay",
    "calendar_for",
    "calendar_from",
    "delay_for",
    "describe_delay",
    "due_at_for",
    "due_at_for_case",
    "pickup_target",
    "policy_for",
    "resolve",
    "sla_snapshots",
]
