"""`sla_snapshots()`: inside a scope, an organization's SLA configuration is read once and every
lookup answers exactly as outside; outside, every lookup reads the database."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.cases.models import Case
from guichet.intake.pipeline import ingest_batch, receive
from guichet.sla import policies
from guichet.sla.actions import do_create_policy
from guichet.sla.models import Closure, OpeningHours, SlaPolicy, WorkCalendar
from guichet.sla.policies import (
    announced_delay,
    calendar_for,
    due_at_for,
    pickup_target,
    policy_for,
    sla_snapshots,
)
from tests.factories import TopicFactory

PARIS = ZoneInfo("Europe/Paris")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=PARIS)
FRIDAY_17 = datetime(2026, 11, 27, 17, tzinfo=PARIS)


@pytest.fixture
def configured(town, departments, office_calendar):
    """Policies at every level, a department calendar with a closure, a topic with its own
    delay, and another organization's policy and calendar (never to apply to the town)."""
    civil, roads = departments["etat-civil"], departments["voirie"]
    birth = town.topics.get(slug="acte-naissance")
    do_create_policy(town, name="org", amount=7)
    do_create_policy(town, name="letter", amount=15, channel="letter")
    do_create_policy(town, name="civil", amount=3, department=civil)
    do_create_policy(town, name="civil-hours", amount=6, unit="working_hours", department=civil)
    do_create_policy(town, name="civil-letter", amount=10, department=civil, channel="letter")
    do_create_policy(town, name="birth", amount=2, topic=birth)
    do_create_policy(
        town, name="pickup", amount=20, unit="seconds", channel="phone", target="pickup"
    )
    inactive = do_create_policy(town, name="off", amount=1, channel="email")
    SlaPolicy.objects.filter(pk=inactive.pk).update(is_active=False)
    roads_calendar = WorkCalendar.objects.create(organization=town, department=roads, name="Voirie")
    OpeningHours.objects.create(calendar=roads_calendar, weekday=0, opens=time(7), closes=time(20))
    OpeningHours.objects.create(calendar=roads_calendar, weekday=2, opens=time(7), closes=time(12))
    Closure.objects.create(
        calendar=roads_calendar, starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 1)
    )
    pothole = TopicFactory(organization=town, department=roads, slug="trou", response_days=2)
    return {
        "departments": [None, departments["accueil"], civil, roads],
        "topics": [None, birth, pothole],
    }


def _lookups(town, configured):
    """Every lookup the module answers, for every department, channel, topic and start."""
    answers = []
    for department, topic, channel, start, paused in itertools.product(
        configured["departments"],
        configured["topics"],
        ["email", "letter", "phone"],
        [MONDAY_10, FRIDAY_17],
        [timedelta(0), timedelta(hours=3)],
    ):
        department_id = department.pk if department else None
        answers.append(
            (
                policy_for(
                    town.pk,
                    department_id=department_id,
                    channel=channel,
                    topic_id=topic.pk if topic else None,
                ),
                calendar_for(town.pk, department_id),
                due_at_for(
                    town,
                    department=department,
                    channel=channel,
                    topic=topic,
                    start=start,
                    paused=paused,
                ),
                pickup_target(town, department=department, channel=channel),
            )
        )
    return answers


def test_inside_a_scope_every_lookup_answers_as_outside(town, configured, other_town):
    do_create_policy(other_town, name="montval", amount=1)
    WorkCalendar.objects.create(organization=other_town, name="Montval", territory="974")

    outside = _lookups(town, configured)
    with sla_snapshots():
        inside = _lookups(town, configured)

    assert inside == outside
    # (the table is not trivial: several policies, calendars and due dates are involved)
    assert {answer[0].name for answer in outside if answer[0]} == {
        "org",
        "letter",
        "civil-hours",  # (beats "civil": as specific, created later)
        "civil-letter",
        "birth",
    }
    assert len({answer[2] for answer in outside}) > 20


def test_a_scope_reads_the_configuration_once(
    town, configured, django_assert_num_queries, monkeypatch
):
    computed = []
    original = policies.add_working_time
    monkeypatch.setattr(
        policies,
        "add_working_time",
        lambda *args: (computed.append(args), original(*args))[1],
    )
    roads = configured["departments"][3]

    with sla_snapshots():
        # Policies, calendars, their opening hours and their closures: four queries...
        with django_assert_num_queries(4):
            first = due_at_for(town, department=roads, channel="email", topic=None, start=MONDAY_10)
        # ...and none after, for any department, organization-level or not.
        with django_assert_num_queries(0):
            again = due_at_for(town, department=roads, channel="email", topic=None, start=MONDAY_10)
            computed_twice = len(computed)
            for department in configured["departments"]:
                due_at_for(
                    town, department=department, channel="letter", topic=None, start=FRIDAY_17
                )
                calendar_for(town.pk, department.pk if department else None)

    # The same inputs are computed once.
    assert again == first
    assert computed_twice == 1
    # The organization and the reception (no calendar of its own, the same letter policy)
    # share one computation; the registry office (its own policy) and roads (its own calendar)
    # one each.
    assert len(computed) == 1 + 3


def test_outside_a_scope_a_policy_created_a_moment_ago_applies(town, departments):
    before = due_at_for(town, department=None, channel="email", topic=None, start=MONDAY_10)
    do_create_policy(town, name="fast", amount=1)
    after = due_at_for(town, department=None, channel="email", topic=None, start=MONDAY_10)

    assert (before, after) == (
        datetime(2026, 11, 30, 10, tzinfo=PARIS),
        datetime(2026, 11, 24, 10, tzinfo=PARIS),
    )


def test_a_new_scope_reads_the_configuration_again(town, departments):
    with sla_snapshots():
        first = due_at_for(town, department=None, channel="email", topic=None, start=MONDAY_10)
    do_create_policy(town, name="fast", amount=1)
    with sla_snapshots():
        second = due_at_for(town, department=None, channel="email", topic=None, start=MONDAY_10)

    assert (first, second) == (
        datetime(2026, 11, 30, 10, tzinfo=PARIS),
        datetime(2026, 11, 24, 10, tzinfo=PARIS),
    )


def test_a_scope_holds_only_its_organizations_own_configuration(town, other_town, departments):
    do_create_policy(other_town, name="montval", amount=1)
    WorkCalendar.objects.create(organization=other_town, name="Montval", territory="974")

    with sla_snapshots():
        snapshot = policies._snapshot(town.pk)
        due = due_at_for(town, department=None, channel="email", topic=None, start=MONDAY_10)

    assert snapshot is not None
    assert snapshot.policies == ()
    assert snapshot.calendar_for(None).subdivision is None
    assert due == datetime(2026, 11, 30, 10, tzinfo=PARIS)
    assert policies._snapshot(town.pk) is None  # (the scope is closed)


def test_a_scope_inside_another_joins_it(town, departments, django_assert_num_queries):
    with sla_snapshots():
        due_at_for(town, department=None, channel="email", topic=None, start=MONDAY_10)
        with sla_snapshots(), django_assert_num_queries(0):
            due_at_for(town, department=None, channel="email", topic=None, start=FRIDAY_17)


def test_a_message_received_sees_a_policy_created_just_before(town, departments, email_inbound):
    do_create_policy(town, name="fast", amount=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: MONDAY_10)
        receive(town, email_inbound())

    case = Case.objects.get()
    assert case.due_at == datetime(2026, 11, 24, 10, tzinfo=PARIS)
    assert announced_delay(case)[1].endswith("(1 working day)")


def test_a_batch_reads_the_configuration_once_for_all_its_messages(
    town, departments, email_inbound
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    do_create_policy(town, name="org", amount=3)
    inbounds = [
        email_inbound(
            external_id=f"m{n}@x", email_message_id=f"m{n}@x", sender_address=f"c{n}@example.org"
        )
        for n in range(6)
    ]

    with CaptureQueriesContext(connection) as captured:
        ingest_batch(town, inbounds)

    sla_queries = [q["sql"] for q in captured.captured_queries if '"sla_' in q["sql"]]
    # Policies and calendars (the town has none: no opening hours nor closures to read).
    assert len(sla_queries) == 2
    cases = list(Case.objects.select_related("department", "topic"))
    assert len(cases) == 6
    assert [case.due_at for case in cases] == [
        due_at_for(
            town,
            department=case.department,
            channel=case.channel,
            topic=case.topic,
            start=case.created_at,
        )
        for case in cases
    ]
