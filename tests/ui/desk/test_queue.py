"""The queue: what an agent sees, how it filters and sorts, and that it never shows too much."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.cases.lifecycle import Status
from guichet.cases.models import Priority

pytestmark = pytest.mark.django_db

QUEUE = "/desk/"
ROW_REFERENCE = re.compile(r'<th scope="row"><a class="reference" href="/desk/demandes/([^/]+)/">')


def references(response) -> list[str]:
    return ROW_REFERENCE.findall(response.content.decode())


def test_queue_url_is_the_desk_home():
    assert reverse("desk:queue") == QUEUE


def test_default_shows_active_cases_soonest_due_first_nulls_last(client, civil_agent, make_case):
    now = timezone.now()
    later = make_case(subject="later", due_at=now + timedelta(days=5))
    no_due = make_case(subject="no due date", due_at=None)
    sooner = make_case(subject="sooner", due_at=now + timedelta(days=1), status=Status.OPEN)
    waiting = make_case(subject="waiting", due_at=now + timedelta(days=3), status=Status.WAITING)
    make_case(subject="resolved", due_at=now, status=Status.RESOLVED)
    make_case(subject="closed", due_at=now, status=Status.CLOSED)
    client.force_login(civil_agent)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert references(response) == [
        sooner.reference,
        waiting.reference,
        later.reference,
        no_due.reference,
    ]
    assert "4 requests" in response.content.decode()


def test_filter_by_status(client, civil_agent, make_case):
    make_case(subject="new")
    resolved = make_case(subject="resolved", status=Status.RESOLVED)
    closed = make_case(subject="closed", status=Status.CLOSED)
    client.force_login(civil_agent)

    assert references(client.get(QUEUE, {"status": "resolved"})) == [resolved.reference]
    assert set(references(client.get(QUEUE, {"status": "all"}))) == {
        resolved.reference,
        closed.reference,
        *references(client.get(QUEUE)),
    }
    assert len(references(client.get(QUEUE, {"status": "all"}))) == 3


def test_filter_by_topic_and_department(client, supervisor, town, make_case):
    birth = town.topics.get(slug="acte-naissance")
    pothole = town.topics.get(slug="nid-de-poule")
    civil_with_topic = make_case("etat-civil", topic=birth)
    make_case("etat-civil")
    roads = make_case("voirie", topic=pothole)
    roads_department = town.departments.get(slug="voirie")
    client.force_login(supervisor)

    assert references(client.get(QUEUE, {"topic": birth.pk})) == [civil_with_topic.reference]
    assert references(client.get(QUEUE, {"department": roads_department.pk})) == [roads.reference]
    assert (
        references(client.get(QUEUE, {"topic": birth.pk, "department": roads_department.pk})) == []
    )


def test_filter_by_assignment(client, civil_agent, town, make_case):
    from tests.factories import make_member

    colleague = make_member(town, departments=[town.departments.get(slug="etat-civil")])
    mine = make_case(subject="mine", assignee=civil_agent, status=Status.OPEN)
    theirs = make_case(subject="theirs", assignee=colleague, status=Status.OPEN)
    nobody = make_case(subject="nobody")
    client.force_login(civil_agent)

    assert references(client.get(QUEUE, {"assignment": "mine"})) == [mine.reference]
    assert references(client.get(QUEUE, {"assignment": "unassigned"})) == [nobody.reference]
    assert set(references(client.get(QUEUE, {"assignment": "all"}))) == {
        mine.reference,
        theirs.reference,
        nobody.reference,
    }


def test_sort_by_priority_then_due_date_and_by_creation(client, civil_agent, make_case):
    now = timezone.now()
    low = make_case(
        priority=Priority.LOW, due_at=now + timedelta(days=1), created_at=now - timedelta(days=3)
    )
    urgent = make_case(
        priority=Priority.URGENT, due_at=now + timedelta(days=9), created_at=now - timedelta(days=1)
    )
    normal_soon = make_case(
        priority=Priority.NORMAL, due_at=now + timedelta(days=2), created_at=now - timedelta(days=2)
    )
    normal_late = make_case(
        priority=Priority.NORMAL, due_at=now + timedelta(days=4), created_at=now
    )
    client.force_login(civil_agent)

    assert references(client.get(QUEUE, {"sort": "priority"})) == [
        urgent.reference,
        normal_soon.reference,
        normal_late.reference,
        low.reference,
    ]
    assert references(client.get(QUEUE, {"sort": "created"})) == [
        normal_late.reference,
        urgent.reference,
        normal_soon.reference,
        low.reference,
    ]


def test_an_agent_of_voirie_never_sees_etat_civil_cases(
    client, roads_agent, civil_case, roads_case
):
    client.force_login(roads_agent)

    for params in ({}, {"status": "all"}, {"assignment": "unassigned"}, {"sort": "created"}):
        response = client.get(QUEUE, params)
        assert references(response) == [roads_case.reference]
        assert civil_case.subject not in response.content.decode()


def test_asking_for_a_department_one_does_not_work_in_is_refused_and_shows_nothing_more(
    client, roads_agent, civil_case, roads_case, departments
):
    client.force_login(roads_agent)

    response = client.get(QUEUE, {"department": departments["etat-civil"].pk})

    assert response.status_code == 400
    body = response.content.decode()
    assert "Some filters could not be used" in body
    assert references(response) == [roads_case.reference]
    assert civil_case.subject not in body


def test_another_organization_never_sees_the_town(
    client, other_agent, civil_case, roads_case, foreign_case, town
):
    client.force_login(other_agent)

    response = client.get(QUEUE, {"status": "all"})
    assert references(response) == [foreign_case.reference]
    body = response.content.decode()
    assert "Villebois" not in body
    # The town's departments and topics are not even offered as filters.
    assert "État civil" not in body
    assert "Nid-de-poule" not in body
    # Guessing the town's ids in the filters does not help.
    response = client.get(
        QUEUE, {"department": civil_case.department_id, "topic": town.topics.first().pk}
    )
    assert response.status_code == 400
    assert references(response) == [foreign_case.reference]


def test_counters_and_overdue_shown_in_words(client, civil_agent, make_case):
    now = timezone.now()
    overdue = make_case(subject="late", due_at=now - timedelta(hours=2))
    make_case(
        subject="mine", assignee=civil_agent, status=Status.OPEN, due_at=now + timedelta(days=1)
    )
    make_case(subject="resolved late", due_at=now - timedelta(days=3), status=Status.RESOLVED)
    client.force_login(civil_agent)

    response = client.get(QUEUE)

    assert response.context["counters"].unassigned == 1
    assert response.context["counters"].mine == 1
    assert response.context["counters"].overdue == 1
    body = response.content.decode()
    row = body[body.index(overdue.reference) :].split("</tr>")[0]
    assert '<strong class="overdue">overdue</strong>' in row
    assert body.count('<strong class="overdue">') == 1
    assert references(client.get(QUEUE, {"overdue": "on"})) == [overdue.reference]


def test_row_shows_every_column(client, civil_agent, make_case, town):
    topic = town.topics.get(slug="acte-naissance")
    case = make_case(
        subject="Extrait d'acte",
        topic=topic,
        assignee=civil_agent,
        status=Status.OPEN,
        priority=Priority.URGENT,
    )
    client.force_login(civil_agent)

    body = client.get(QUEUE).content.decode()
    row = body[
        body.index(
            f'<th scope="row"><a class="reference" href="/desk/demandes/{case.reference}/">'
        ) :
    ].split("</tr>")[0]
    assert "Extrait d&#x27;acte" in row
    assert f'href="/desk/usagers/{case.citizen_id}/">Jeanne Dupont</a>' in row
    assert "<td>Email</td>" in row
    assert "<td>Acte de naissance</td>" in row
    assert "<td>État civil</td>" in row
    assert f"<td>{civil_agent}</td>" in row
    assert '<span class="badge badge-open">In progress</span>' in row
    assert '<span class="badge badge-urgent">Urgent</span>' in row
    assert f'<time datetime="{timezone.localtime(case.due_at).isoformat()}">' in row


def test_pagination_by_fifty_keeps_the_filters(client, civil_agent, make_case):
    for index in range(52):
        make_case(subject=f"case {index}")
    client.force_login(civil_agent)

    first = client.get(QUEUE, {"sort": "created"})
    second = client.get(QUEUE, {"sort": "created", "page": 2})

    assert len(references(first)) == 50
    assert len(references(second)) == 2
    assert set(references(first)).isdisjoint(references(second))
    assert 'href="?sort=created&amp;page=2"' in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()


def test_htmx_request_gets_only_the_results(client, civil_agent, civil_case):
    client.force_login(civil_agent)

    response = client.get(
        QUEUE, {"status": "all"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results"
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert civil_case.reference in body
    assert response.templates[0].name == "desk/_queue_results.html"


def test_queue_query_count_does_not_grow_with_the_cases(
    client, civil_agent, make_case, django_assert_num_queries, town
):
    topic = town.topics.get(slug="acte-naissance")
    client.force_login(civil_agent)
    make_case(topic=topic, assignee=civil_agent, status=Status.OPEN)
    with django_assert_num_queries(10) as few:
        assert client.get(QUEUE).status_code == 200

    for index in range(30):
        make_case(subject=f"case {index}", topic=topic, assignee=civil_agent if index % 2 else None)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(QUEUE)
    assert len(references(response)) == 31
