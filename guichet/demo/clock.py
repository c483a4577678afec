"""Giving the demo a past: office hours, and moving what an action wrote back to when it "happened".

The pipeline and the case actions stamp what they write with `timezone.now()`. The demo runs them
for real, then rewrites those stamps with queryset updates (demo seeding may write models
directly). Every simulated moment is earlier than the start of the seeding, and every stamp an
action writes is later, so "stamped at or after the start of this step" finds exactly what the
step wrote, without remembering primary keys.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from guichet.audit.models import AuditEntry
from guichet.cases.deadlines import is_working_day
from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.citizens.models import Citizen, ContactPoint
from guichet.conversations.models import Conversation, Message
from guichet.intake.models import InboundRecord
from guichet.organizations.models import Organization, Topic
from guichet.sla.policies import due_at_for

OPENS = time(8, 30)
CLOSES = time(17, 30)
CASE_STAMPS = (
    "created_at",
    "updated_at",
    "first_response_at",
    "last_inbound_at",
    "resolved_at",
    "closed_at",
)


def is_open(moment: datetime) -> bool:
    local = timezone.localtime(moment)
    return is_working_day(local.date()) and OPENS <= local.time() < CLOSES


def opening_after(moment: datetime) -> datetime:
    """`moment` if the town hall is open then, else when it next opens."""
    if is_open(moment):
        return moment
    local = timezone.localtime(moment)
    day = local.date()
    if local.time() >= OPENS:
        day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OPENS, tzinfo=local.tzinfo)


def closing_before(moment: datetime) -> datetime:
    """`moment` if the town hall is open then, else when it last closed."""
    if is_open(moment):
        return moment
    local = timezone.localtime(moment)
    day = local.date()
    if local.time() < CLOSES:
        day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, CLOSES, tzinfo=local.tzinfo)


def next_opening(moment: datetime, rng: random.Random) -> datetime:
    """`moment` if the town hall is open then, else a little after it next opens."""
    if is_open(moment):
        return moment
    return opening_after(moment) + timedelta(minutes=rng.randint(0, 90))


def last_opening_before(moment: datetime, rng: random.Random) -> datetime:
    """A moment of office hours at or before `moment` (for phone calls)."""
    if is_open(moment):
        return moment
    return closing_before(moment) - timedelta(minutes=rng.randint(5, 240))


class Backdater:
    """Rewrites the stamps written by one step to the simulated moment of that step."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self._topics: dict[int, Topic] = {}

    def _topic(self, topic_id: int | None) -> Topic | None:
        if topic_id is None:
            return None
        if topic_id not in self._topics:
            self._topics[topic_id] = Topic.objects.get(pk=topic_id)
        return self._topics[topic_id]

    def rewrite(self, started: datetime, when: datetime, case: Case, *, inbound: bool) -> None:
        """Stamp `when` on what was written about `case` since `started` (`inbound`: the step
        received a message, so citizens, contact points and raw records were written too)."""
        CaseEvent.objects.filter(case=case, created_at__gte=started).update(created_at=when)
        Message.objects.filter(case=case, created_at__gte=started).update(created_at=when)
        Conversation.objects.filter(case=case, created_at__gte=started).update(created_at=when)
        Conversation.objects.filter(case=case, last_message_at__gte=started).update(
            last_message_at=when
        )
        AuditEntry.objects.filter(
            organization_id=self.organization.pk, created_at__gte=started
        ).update(created_at=when)
        stamps = Case.objects.filter(pk=case.pk).values(*CASE_STAMPS, "topic_id").get()
        updates: dict[str, Any] = {
            name: when
            for name in CASE_STAMPS
            if stamps[name] is not None and stamps[name] >= started
        }
        if "created_at" in updates:
            # The due date is counted in working days from the (simulated) reception.
            updates["due_at"] = due_at_for(
                self.organization,
                department=case.department,
                channel=case.channel,
                topic=self._topic(stamps["topic_id"]),
                start=when,
            )
        if updates:
            Case.objects.filter(pk=case.pk).update(**updates)
        if inbound:
            self._rewrite_reception(started, when)

    def _rewrite_reception(self, started: datetime, when: datetime) -> None:
        organization_id = self.organization.pk
        Citizen.objects.filter(organization_id=organization_id, created_at__gte=started).update(
            created_at=when
        )
        points = ContactPoint.objects.filter(organization_id=organization_id)
        points.filter(created_at__gte=started).update(created_at=when)
        points.filter(last_seen_at__gte=started).update(last_seen_at=when)
        # The pipeline's step log carries its own times: rewrite them too.
        stamp = when.isoformat()
        for record in InboundRecord.objects.filter(
            organization_id=organization_id, received_at__gte=started
        ):
            record.received_at = when
            record.processed_at = when if record.processed_at else None
            record.steps = [{**step, "at": stamp} for step in record.steps]
            record.save(update_fields=["received_at", "processed_at", "steps"])
            events = list(
                CaseEvent.objects.filter(
                    kind=EventKind.PIPELINE, message__inbound_record=record, data__has_key="at"
                )
            )
            for event in events:
                event.data = {**event.data, "at": stamp}
            CaseEvent.objects.bulk_update(events, ["data"])
