"""Repeat contacts: a citizen who writes again and again about the same request.

A *contact* is an inbound message of the citizen on the request; messages less than
`SAME_CONTACT_GAP` apart are one contact (three chat or SMS messages in a row are one attempt to
reach us, not three). When the citizen's contacts on one request within
`GUICHET_REPEAT_CONTACT_DAYS` (10) reach `GUICHET_REPEAT_CONTACT_THRESHOLD` (3), the request is
flagged on the agent's case page and a `case.repeat_contact` event is written on its timeline,
once per request (`check_repeat_contact`, run as a task after the inbound pipeline's thread step
commits a message to an existing request).

The repeat-contact rate of an organization is `guichet.insights.kpis.repeat_contact_rate` over
these contacts: the share of contacts that follow an earlier contact of the same citizen on the
same request at most `GUICHET_REPEAT_CONTACT_DAYS` before.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from guichet.cases.actions import append_event
from guichet.cases.models import Case, CaseEvent
from guichet.conversations.models import Direction, Message
from guichet.core.batching import HeldIds
from guichet.insights import kpis
from guichet.organizations.models import Organization

REPEAT_CONTACT = "case.repeat_contact"
# Inbound messages closer than this belong to the same contact.
SAME_CONTACT_GAP = timedelta(hours=1)


def window_days() -> int:
    return int(settings.GUICHET_REPEAT_CONTACT_DAYS)


def threshold() -> int:
    return int(settings.GUICHET_REPEAT_CONTACT_THRESHOLD)


def contact_starts(times: Iterable[datetime]) -> list[datetime]:
    """The first message of each contact among these message times, in order."""
    starts: list[datetime] = []
    previous: datetime | None = None
    for moment in sorted(times):
        if previous is None or moment - previous >= SAME_CONTACT_GAP:
            starts.append(moment)
        previous = moment
    return starts


def count_recent_contacts(times: Iterable[datetime], now: datetime) -> int:
    """Contacts among these inbound message times within the window ending at `now`."""
    since = now - timedelta(days=window_days())
    return len(contact_starts(moment for moment in times if since <= moment <= now))


def repeat_flag(inbound_times: Sequence[datetime], now: datetime | None = None) -> int | None:
    """The number of recent contacts when it reaches the threshold (the case page's flag)."""
    count = count_recent_contacts(inbound_times, now or timezone.now())
    return count if count >= threshold() else None


def check_repeat_contact(case_id: int, now: datetime | None = None) -> CaseEvent | None:
    """Write the `case.repeat_contact` event when the citizen's recent contacts on the case reach
    the threshold and the case has none yet; idempotent (the case row is locked while checked)."""
    now = now or timezone.now()
    since = now - timedelta(days=window_days())
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            return None
        times = Message.objects.filter(
            case=case, direction=Direction.INBOUND, created_at__gte=since, created_at__lte=now
        ).values_list("created_at", flat=True)
        count = count_recent_contacts(times, now)
        if count < threshold():
            return None
        if CaseEvent.objects.filter(case=case, kind=REPEAT_CONTACT).exists():
            return None
        return append_event(
            case, REPEAT_CONTACT, data={"contacts": count, "days": window_days()}, at=now
        )


def check_repeat_contact_on_commit(case: Case, previous_inbound_at: datetime | None) -> None:
    """The inbound pipeline's hook, for a message that joined an existing case: once committed,
    `check_repeat_contact_task` counts the contacts (after the commit, so that a batch of messages
    read from a mailbox keeps its fixed number of queries). Nothing is scheduled when the
    citizen's previous message is older than the window: this one is then their only contact."""
    if previous_inbound_at is not None and previous_inbound_at < timezone.now() - timedelta(
        days=window_days()
    ):
        return

    def enqueue() -> None:
        if _CHECKS.hold(case.pk):
            return
        from guichet.cases.tasks import check_repeat_contact_task

        check_repeat_contact_task.enqueue(case.pk)

    transaction.on_commit(enqueue)


def _queue_checks(case_ids: list[int]) -> None:
    from guichet.cases.tasks import check_repeat_contacts_task

    check_repeat_contacts_task.enqueue(case_ids)


# The cases to check, committed inside `checking_repeats_together()`, waiting for its end.
_CHECKS = HeldIds("repeat_checks_held", _queue_checks)


def checking_repeats_together() -> AbstractContextManager[None]:
    """Within: the checks whose transaction commits are held, then queued in one
    `check_repeat_contacts_task` when the block ends, each case once (`HeldIds.together`). Wrap
    it around the transaction (a batch of the inbound pipeline)."""
    return _CHECKS.together()


@dataclass(frozen=True)
class RepeatReport:
    since: datetime
    period_days: int
    window_days: int
    contacts: int
    rate: float | None  # kpis.repeat_contact_rate over the period's contacts
    by_department: list[tuple[int | None, int, float | None]]  # (department id, contacts, rate)
    flagged_case_ids: list[int]  # active or not, the most contacts first


def repeat_report(
    organization: Organization, *, period_days: int = 30, now: datetime | None = None
) -> RepeatReport:
    """The repeat-contact rate of the organization's contacts of the last `period_days` (one
    query), overall and per department of the case, and the requests flagged now."""
    now = now or timezone.now()
    since = now - timedelta(days=period_days)
    rows = Message.objects.filter(
        organization=organization,
        direction=Direction.INBOUND,
        created_at__gte=since,
    ).values_list("case_id", "case__citizen_id", "case__department_id", "created_at")
    by_case: dict[int, list[datetime]] = defaultdict(list)
    about: dict[int, tuple[int, int | None]] = {}
    for case_id, citizen_id, department_id, created_at in rows:
        by_case[case_id].append(created_at)
        about[case_id] = (citizen_id, department_id)
    contacts: dict[int | None, list[kpis.Contact]] = defaultdict(list)
    flagged: list[tuple[int, int]] = []
    numbers = itertools.count()
    for case_id, times in by_case.items():
        citizen, department = about[case_id]
        for start in contact_starts(times):
            contacts[department].append(
                kpis.Contact(
                    id=next(numbers),
                    offered_at=start,
                    citizen_id=citizen,
                    case_id=case_id,
                )
            )
        count = count_recent_contacts(times, now)
        if count >= threshold():
            flagged.append((count, case_id))
    days = window_days()
    everything = [contact for group in contacts.values() for contact in group]
    return RepeatReport(
        since=since,
        period_days=period_days,
        window_days=days,
        contacts=len(everything),
        rate=kpis.repeat_contact_rate(everything, days),
        by_department=[
            (department_id, len(group), kpis.repeat_contact_rate(group, days))
            for department_id, group in contacts.items()
        ],
        flagged_case_ids=[case_id for _count, case_id in sorted(flagged, reverse=True)],
    )
