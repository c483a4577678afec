"""Read helpers of the desk: the queue, its counters, the timeline and the case page's choices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.cases.actions import append_event, do_add_note, do_assign_case
from guichet.cases.lifecycle import Status
from guichet.cases.models import EventKind, Priority
from guichet.cases.queries import (
    QueueFilters,
    assignable_users,
    case_timeline,
    case_topics,
    queue_cases,
    queue_counters,
    queue_departments,
    queue_topics,
    topic_names,
    transfer_departments,
    visible_attachment,
)
from guichet.conversations.attachments import store_attachment
from tests.factories import CaseFactory, CitizenFactory, TopicFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(town):
    return CitizenFactory(organization=town)


@pytest.fixture
def case_in(citizen, departments):
    def build(slug: str = "etat-civil", **fields):
        return CaseFactory(citizen=citizen, department=departments[slug], **fields)

    return build


def test_queue_is_scoped_then_filtered(civil_agent, roads_agent, other_agent, case_in, town):
    civil = case_in("etat-civil")
    roads = case_in("voirie")
    topic = town.topics.get(slug="nid-de-poule")
    roads_with_topic = case_in("voirie", topic=topic)

    assert list(queue_cases(civil_agent, QueueFilters())) == [civil]
    assert set(queue_cases(roads_agent, QueueFilters())) == {roads, roads_with_topic}
    assert list(queue_cases(roads_agent, QueueFilters(topic_id=topic.pk))) == [roads_with_topic]
    # Filtering on a department outside the scope gives nothing, never more.
    assert list(queue_cases(roads_agent, QueueFilters(department_id=civil.department_id))) == []
    assert list(queue_cases(other_agent, QueueFilters(status="all"))) == []


def test_queue_status_filters(civil_agent, case_in):
    new = case_in(status=Status.NEW)
    waiting = case_in(status=Status.WAITING)
    closed = case_in(status=Status.CLOSED)

    assert set(queue_cases(civil_agent, QueueFilters())) == {new, waiting}
    assert list(queue_cases(civil_agent, QueueFilters(status="closed"))) == [closed]
    assert set(queue_cases(civil_agent, QueueFilters(status="all"))) == {new, waiting, closed}


def test_queue_orders(civil_agent, case_in):
    now = timezone.now()
    a = case_in(due_at=None, priority=Priority.URGENT, created_at=now - timedelta(days=1))
    b = case_in(due_at=now + timedelta(days=2), priority=Priority.LOW, created_at=now)
    c = case_in(
        due_at=now + timedelta(days=1), priority=Priority.NORMAL, created_at=now - timedelta(days=2)
    )

    assert list(queue_cases(civil_agent, QueueFilters(sort="due"))) == [c, b, a]
    assert list(queue_cases(civil_agent, QueueFilters(sort="priority"))) == [a, c, b]
    assert list(queue_cases(civil_agent, QueueFilters(sort="created"))) == [b, a, c]


def test_last_activity_is_the_latest_of_update_and_citizen_message(civil_agent, case_in):
    now = timezone.now()
    case = case_in(updated_at=now - timedelta(days=2), last_inbound_at=now - timedelta(hours=1))
    quiet = case_in(updated_at=now - timedelta(days=3), last_inbound_at=None)

    rows = {row.pk: row.last_activity_at for row in queue_cases(civil_agent, QueueFilters())}

    assert rows[case.pk] == now - timedelta(hours=1)
    assert rows[quiet.pk] == now - timedelta(days=3)


def test_counters(civil_agent, case_in):
    now = timezone.now()
    case_in(due_at=now - timedelta(days=1))
    case_in(assignee=civil_agent, status=Status.OPEN, due_at=now + timedelta(days=1))
    case_in(assignee=civil_agent, status=Status.RESOLVED, due_at=now - timedelta(days=1))
    case_in("voirie", due_at=now - timedelta(days=1))

    counters = queue_counters(civil_agent)

    assert (counters.unassigned, counters.mine, counters.overdue) == (1, 1, 1)


def test_departments_and_topics_offered(
    civil_agent, supervisor, other_agent, departments, town, other_town
):
    assert list(queue_departments(civil_agent)) == [departments["etat-civil"]]
    # Sorted by name in the database collation: compare as sets.
    assert set(queue_departments(supervisor)) == set(departments.values())
    assert list(queue_departments(other_agent)) == list(other_town.departments.all())
    assert [t.slug for t in queue_topics(civil_agent)] == ["acte-naissance", "nid-de-poule"]
    assert list(queue_topics(other_agent)) == []


def test_timeline_groups_reception_steps_and_folds_message_events(civil_agent, case_in):
    case = case_in()
    note = do_add_note(case, "Première note", actor=civil_agent)
    for step in ("persist", "identify", "thread", "classify", "route", "acknowledge"):
        append_event(case, EventKind.PIPELINE, message=note, data={"step": step})
    do_assign_case(case, civil_agent, actor=civil_agent)
    orphan = append_event(case, EventKind.PIPELINE, data={"step": "identify"})

    entries = case_timeline(case)

    assert [e.message.pk if e.message else e.event.kind for e in entries] == [
        note.pk,
        EventKind.ASSIGNED,
        EventKind.STATUS_CHANGED,
        EventKind.PIPELINE,
    ]
    assert [s.data["step"] for s in entries[0].reception_steps] == [
        "persist",
        "identify",
        "thread",
        "classify",
        "route",
        "acknowledge",
    ]
    # A pipeline event without its message stays on the timeline rather than vanish.
    assert entries[-1].event == orphan


def test_timeline_interleaves_messages_and_events_by_time(civil_agent, case_in):
    case = case_in()
    now = timezone.now()
    early = append_event(
        case, EventKind.PRIORITY_CHANGED, data={"from": 2, "to": 3}, at=now - timedelta(hours=2)
    )
    note = do_add_note(case, "Note", actor=civil_agent)
    late = append_event(
        case, EventKind.PRIORITY_CHANGED, data={"from": 3, "to": 4}, at=now + timedelta(hours=1)
    )

    entries = case_timeline(case)

    assert [(e.message, e.event) for e in entries] == [(None, early), (note, None), (None, late)]


def test_assignable_users_work_in_the_department_or_supervise(
    civil_agent, roads_agent, supervisor, administrator, other_agent, case_in, town
):
    inactive = make_member(town, departments=[case_in().department], is_active=False)
    case = case_in()

    users = assignable_users(case)

    assert set(users) == {civil_agent, supervisor, administrator}
    assert roads_agent not in users
    assert inactive not in users
    assert other_agent not in users


def test_without_department_only_supervisors_and_administrators_are_assignable(
    supervisor, administrator, civil_agent, citizen, town
):
    make_member(town, departments=[])  # an agent without departments takes nothing
    case = CaseFactory(citizen=citizen, department=None)

    assert set(assignable_users(case)) == {supervisor, administrator}


def test_transfer_departments_and_topics(case_in, departments, town, other_town):
    departments["accueil"].is_active = False
    departments["accueil"].save()
    retired = TopicFactory(department=departments["voirie"], is_active=False, name="Ancien motif")
    TopicFactory(department=other_town.departments.get(), name="Motif d'ailleurs")
    case = case_in("etat-civil")

    assert list(transfer_departments(case)) == [departments["voirie"]]
    assert [t.name for t in case_topics(case)] == ["Acte de naissance", "Nid-de-poule"]
    case.topic = retired
    assert [t.name for t in case_topics(case)] == [
        "Acte de naissance",
        "Ancien motif",
        "Nid-de-poule",
    ]


def test_topic_names_stay_within_the_organization(town, other_town):
    foreign = TopicFactory(department=other_town.departments.get(), name="Secret")
    birth = town.topics.get(slug="acte-naissance")

    assert topic_names(town.pk, {birth.pk, foreign.pk}) == {birth.pk: "Acte de naissance"}
    assert topic_names(town.pk, set()) == {}


def test_visible_attachment(civil_agent, roads_agent, other_agent, case_in):
    note = do_add_note(case_in(), "Pièce", actor=civil_agent)
    attachment = store_attachment(
        organization_id=note.organization_id,
        filename="a.txt",
        declared_type="text/plain",
        content=b"bonjour",
        message=note,
    )

    assert visible_attachment(civil_agent, attachment.pk) == attachment
    assert visible_attachment(roads_agent, attachment.pk) is None
    assert visible_attachment(other_agent, attachment.pk) is None
    assert visible_attachment(civil_agent, attachment.pk + 1000) is None
