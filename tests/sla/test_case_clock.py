"""The SLA on cases: due date when received and routed, the pause while waiting for the citizen,
recomputation on re-routing, escalation when due soon or late."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from guichet.cases.actions import do_set_topic, do_transfer_case, do_transition_case
from guichet.cases.lifecycle import Status
from guichet.cases.models import Case, CaseEvent, EventKind, Priority
from guichet.conversations.models import Direction, Message
from guichet.intake.pipeline import receive
from guichet.sla.actions import (
    EVENT_BREACHED,
    EVENT_DUE_CHANGED,
    EVENT_NEAR,
    EVENT_PAUSED,
    EVENT_RESUMED,
    do_create_policy,
    escalate_cases,
    on_status_change,
)
from guichet.sla.calendar import Delay, DelayUnit, add_working_time
from guichet.sla.models import CaseClock
from guichet.sla.policies import announced_delay, calendar_for
from tests.factories import CaseFactory, CitizenFactory

PARIS = ZoneInfo("Europe/Paris")


def events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind).order_by("pk"))


def test_a_received_email_gets_the_policy_due_date_and_announces_it(
    town, departments, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    do_create_policy(town, name="civil", amount=3, department=departments["etat-civil"])
    with django_capture_on_commit_callbacks(execute=True):
        case = receive(town, email_inbound()).case
    case.refresh_from_db()
    assert case.department == departments["etat-civil"]
    expected = add_working_time(
        case.created_at, Delay(3, DelayUnit.WORKING_DAYS), calendar_for(town.pk, None)
    )
    assert case.due_at == expected
    due_at, text = announced_delay(case)
    assert due_at == expected
    assert text.endswith("(3 working days)")
    acknowledgement = Message.objects.get(case=case, direction=Direction.OUTBOUND)
    with translation.override(settings.LANGUAGE_CODE):
        _due_at, announced = announced_delay(case)
    assert announced in acknowledgement.text


def test_waiting_for_the_citizen_does_not_count(town, departments, civil_agent):
    case = CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=departments["etat-civil"],
        status=Status.OPEN,
        due_at=datetime(2026, 11, 27, 10, tzinfo=PARIS),
    )
    paused_at = datetime(2026, 11, 20, 16, tzinfo=PARIS)  # a Friday
    on_status_change(case, Status.OPEN, Status.WAITING, at=paused_at)
    assert CaseClock.objects.get(case=case).paused_at == paused_at
    # Resumed on Tuesday 10:00: Friday 16:00-24:00 and Monday, Tuesday until 10:00 = 8+24+10 h.
    on_status_change(case, Status.WAITING, Status.OPEN, at=datetime(2026, 11, 24, 10, tzinfo=PARIS))
    case.refresh_from_db()
    assert case.due_at == datetime(2026, 11, 27, 10, tzinfo=PARIS) + timedelta(
        hours=42
    ) + timedelta(days=2)  # 42 working hours from Friday 10:00 run over the weekend: Tuesday 4:00
    clock = CaseClock.objects.get(case=case)
    assert (clock.paused_at, clock.paused_seconds) == (None, 42 * 3600)
    [resumed] = events(case, EVENT_RESUMED)
    assert resumed.data["paused_s"] == 42 * 3600


def test_the_lifecycle_pauses_and_resumes_the_clock(town, departments, civil_agent):
    case = CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=departments["etat-civil"],
        status=Status.OPEN,
        due_at=timezone.now() + timedelta(days=5),
    )
    before = case.due_at
    do_transition_case(case, "wait", actor=civil_agent)
    assert len(events(case, EVENT_PAUSED)) == 1
    CaseClock.objects.filter(case=case).update(paused_at=timezone.now() - timedelta(days=7))
    do_transition_case(case, "open", actor=civil_agent)
    case.refresh_from_db()
    # A week of waiting holds five weekdays (at least four when a holiday falls in it).
    assert case.due_at - before >= timedelta(days=4)
    assert len(events(case, EVENT_RESUMED)) == 1
    assert CaseClock.objects.get(case=case).paused_at is None


def test_resolving_a_waiting_case_does_not_move_its_due_date(town, departments, civil_agent):
    case = CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=departments["etat-civil"],
        status=Status.WAITING,
        due_at=datetime(2026, 11, 27, 10, tzinfo=PARIS),
    )
    on_status_change(case, Status.OPEN, Status.WAITING, at=datetime(2026, 11, 23, tzinfo=PARIS))
    on_status_change(case, Status.WAITING, Status.RESOLVED, at=datetime(2026, 11, 24, tzinfo=PARIS))
    case.refresh_from_db()
    assert case.due_at == datetime(2026, 11, 27, 10, tzinfo=PARIS)
    assert events(case, EVENT_RESUMED) == []


def test_a_transfer_recomputes_the_due_date(town, departments, supervisor):
    do_create_policy(town, name="roads", amount=10, department=departments["voirie"])
    created = datetime(2026, 11, 23, 10, tzinfo=PARIS)
    case = CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=departments["etat-civil"],
        created_at=created,
        due_at=datetime(2026, 11, 30, 10, tzinfo=PARIS),
    )
    do_transfer_case(case, departments["voirie"], actor=supervisor, reason="voirie")
    case.refresh_from_db()
    assert case.due_at == datetime(2026, 12, 7, 10, tzinfo=PARIS)
    [changed] = events(case, EVENT_DUE_CHANGED)
    assert datetime.fromisoformat(changed.data["to"]) == case.due_at


def test_a_topic_correction_recomputes_the_due_date(town, departments, supervisor):
    birth = town.topics.get(slug="acte-naissance")
    do_create_policy(town, name="birth", amount=1, topic=birth)
    case = CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=departments["etat-civil"],
        created_at=datetime(2026, 11, 23, 10, tzinfo=PARIS),
        due_at=datetime(2026, 11, 30, 10, tzinfo=PARIS),
    )
    do_set_topic(case, birth, actor=supervisor)
    case.refresh_from_db()
    assert case.due_at == datetime(2026, 11, 24, 10, tzinfo=PARIS)


def _case(organization, *, created, due, **fields):
    return CaseFactory(
        citizen=CitizenFactory(organization=organization),
        created_at=created,
        due_at=due,
        **fields,
    )


def test_escalation_flags_once_per_threshold_and_raises_the_priority(town, other_town):
    now = timezone.now()
    on_time = _case(town, created=now - timedelta(days=1), due=now + timedelta(days=9))
    near = _case(town, created=now - timedelta(days=9), due=now + timedelta(days=1))
    late = _case(town, created=now - timedelta(days=9), due=now - timedelta(hours=1))
    waiting = _case(
        town, created=now - timedelta(days=9), due=now - timedelta(hours=1), status=Status.WAITING
    )
    elsewhere = _case(other_town, created=now - timedelta(days=9), due=now + timedelta(hours=1))

    report = escalate_cases(now)
    assert (report.due_soon, report.breached) == (2, 1)
    assert escalate_cases(now).due_soon + escalate_cases(now).breached == 0

    priorities = dict(Case.objects.values_list("pk", "priority"))
    assert priorities[on_time.pk] == Priority.NORMAL
    assert priorities[near.pk] == Priority.HIGH
    assert priorities[late.pk] == Priority.URGENT
    assert priorities[waiting.pk] == Priority.NORMAL
    assert priorities[elsewhere.pk] == Priority.HIGH
    assert [len(events(late, k)) for k in (EVENT_NEAR, EVENT_BREACHED)] == [1, 1]
    assert [len(events(near, k)) for k in (EVENT_NEAR, EVENT_BREACHED)] == [1, 0]
    assert events(on_time, EVENT_NEAR) == []
    assert CaseEvent.objects.filter(case=elsewhere, organization=other_town).count() == 2
    # Later the near case becomes late: the second threshold is flagged, once.
    report = escalate_cases(now + timedelta(days=2))
    assert report.breached == 2  # near, and elsewhere
    assert len(events(near, EVENT_BREACHED)) == 1
    priority_events = events(near, EventKind.PRIORITY_CHANGED)
    assert [(e.data["from"], e.data["to"]) for e in priority_events] == [(2, 3), (3, 4)]


def test_escalation_never_lowers_a_priority(town):
    now = timezone.now()
    case = _case(
        town,
        created=now - timedelta(days=9),
        due=now + timedelta(hours=1),
        priority=Priority.URGENT,
    )
    escalate_cases(now)
    case.refresh_from_db()
    assert case.priority == Priority.URGENT
    assert events(case, EventKind.PRIORITY_CHANGED) == []
    assert len(events(case, EVENT_NEAR)) == 1
