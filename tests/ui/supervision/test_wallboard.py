"""The supervisor wallboard: who may see it, its numbers on a known data set, its query count,
moving cases from it, and the surge alert."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from guichet.cases.models import Case
from guichet.routing.models import AgentPresence, ItemKind, ItemState, RoutingItem
from guichet.sla.calendar import DelayUnit
from guichet.sla.models import SlaPolicy, Target
from guichet.ui.supervision.board import load_board
from tests.factories import CaseFactory, CitizenFactory

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))
URL = "/supervision/"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def dataset(town, departments, civil_agent, roads_agent, supervisor):
    """État civil: two in line (waiting for 30 minutes, offered after 10), one assigned and
    overdue, one resolved today; Voirie: one resolved yesterday, one unassigned without a routing
    item (not in line); four routed items today; one arrival the same hour of each of the last
    four weeks."""
    town.created_at = NOW - timedelta(weeks=10)
    town.save(update_fields=["created_at"])
    citizen = CitizenFactory(organization=town)
    civil, roads = departments["etat-civil"], departments["voirie"]

    def case(department, minutes_ago, **fields):
        created = NOW - timedelta(minutes=minutes_ago)
        values = {"due_at": created + timedelta(days=5), **fields}
        return CaseFactory(citizen=citizen, department=department, created_at=created, **values)

    waiting = [case(civil, 30), case(civil, 10)]
    for waiting_case, state in zip(waiting, (ItemState.WAITING, ItemState.OFFERED), strict=True):
        RoutingItem.objects.create(
            organization=town,
            department=civil,
            kind=ItemKind.CASE,
            case=waiting_case,
            channel="email",
            state=state,
            agent=civil_agent if state == ItemState.OFFERED else None,
            waiting_since=waiting_case.created_at,
            created_at=waiting_case.created_at,
        )
    overdue = case(civil, 600, assignee=civil_agent, status="open", due_at=NOW - timedelta(hours=1))
    case(civil, 300, status="resolved", resolved_at=NOW - timedelta(hours=2))
    case(roads, 2000, status="resolved", resolved_at=NOW - timedelta(days=1))
    case(roads, 90, due_at=NOW + timedelta(days=5))
    for week in range(1, 5):
        case(roads, week * 7 * 24 * 60 + 20, status="closed")
    start = NOW - timedelta(hours=3)
    for seconds, state in (
        (10, ItemState.DONE),
        (30, ItemState.DONE),
        (20, ItemState.DONE),
        (60, None),
    ):
        RoutingItem.objects.create(
            organization=town,
            department=civil,
            kind=ItemKind.CASE,
            case=overdue,
            channel="email",
            state=state or ItemState.CANCELLED,
            waiting_since=start,
            created_at=start,
            assigned_at=start + timedelta(seconds=seconds) if state else None,
            finished_at=start + timedelta(seconds=seconds),
        )
    AgentPresence.objects.create(organization=town, agent=civil_agent, state="available")
    AgentPresence.objects.create(organization=town, agent=roads_agent, state="busy")
    return {"waiting": waiting, "overdue": overdue}


def test_board_numbers_on_a_known_data_set(town, dataset, civil_agent):
    board = load_board(town, now=NOW)

    rows = {row.department.slug: row for row in board.queues}
    civil = rows["etat-civil"]
    assert (civil.waiting, civil.oldest_wait_s, civil.overdue, civil.handled_today) == (
        2,
        1800.0,
        1,
        1,
    )
    assert civil.oldest_wait_label == "30 min"
    assert (civil.kpis.answered, civil.kpis.abandoned) == (3, 1)
    assert civil.kpis.service_level == 0.5  # 10 s and 20 s within 20 s, of 3 answered + 1 abandoned
    assert civil.kpis.asa_s == 20.0
    assert civil.kpis.abandonment_rate == 0.25
    roads = rows["voirie"]
    assert (roads.waiting, roads.oldest_wait_s, roads.handled_today, roads.kpis.service_level) == (
        0,
        None,
        0,
        None,
    )
    assert [(a.membership.user.username, a.state, a.load) for a in board.agents] == [
        ("claire", "available", 1),
        ("marc", "busy", 0),
        ("sophie", "offline", 0),
    ]
    assert board.agents_by_state == [
        ("available", "Available", 1),
        ("busy", "Busy", 1),
        ("on_break", "On a break", 0),
        ("offline", "Offline", 1),
    ]
    assert board.breaches == [dataset["overdue"]]
    assert (board.surge.observed, board.surge.usual, board.surge.is_surge) == (2, 1.0, False)


def _phone_item(town, department, *, answered_after_s, channel="phone"):
    start = NOW - timedelta(hours=1)
    case = CaseFactory(citizen=CitizenFactory(organization=town), department=department)
    RoutingItem.objects.create(
        organization=town,
        department=department,
        kind=ItemKind.CASE,
        case=case,
        channel=channel,
        state=ItemState.DONE,
        waiting_since=start,
        created_at=start,
        assigned_at=start + timedelta(seconds=answered_after_s),
        finished_at=start + timedelta(minutes=5),
    )


def test_service_level_uses_each_channels_pick_up_policy(town, departments):
    roads, civil = departments["voirie"], departments["etat-civil"]
    for seconds in (15, 45, 90):
        _phone_item(town, roads, answered_after_s=seconds)
        _phone_item(town, civil, answered_after_s=seconds)
    _phone_item(town, roads, answered_after_s=45, channel="email")  # email: 20 s by default

    def policy(name, amount, **fields):
        SlaPolicy.objects.create(
            organization=town, name=name, target=Target.PICKUP, amount=amount, **fields
        )

    policy("Phone, everywhere", 60, unit=DelayUnit.SECONDS, channel="phone")
    policy("Phone, Voirie", 2, unit=DelayUnit.WORKING_MINUTES, channel="phone", department=roads)
    policy("Inactive", 1, unit=DelayUnit.SECONDS, channel="phone", is_active=False)

    board = load_board(town, now=NOW)

    rows = {row.department.slug: row for row in board.queues}
    assert rows["voirie"].kpis.service_level == 0.75  # 3 calls within 120 s, the email late
    assert rows["etat-civil"].kpis.service_level == 2 / 3  # 15 s and 45 s within 60 s
    assert dict(board.targets) == {
        "Phone": 60.0,
        "Chat": 20.0,
        "Written (email, forms, SMS...)": 20.0,
    }


def test_a_surge_is_announced(client, town, dataset, departments, supervisor):
    citizen = CitizenFactory(organization=town)
    for _ in range(12):
        CaseFactory(citizen=citizen, department=departments["accueil"], created_at=timezone.now())
    client.force_login(supervisor)

    body = client.get(URL).content.decode()

    assert 'role="alert"' in body
    assert "12 new requests in the last hour, against 0 usually at this hour" in body


def test_page_shows_the_board_to_a_supervisor(client, town, dataset, supervisor):
    client.force_login(supervisor)

    response = client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert f"Wallboard — {town.name}" in body
    assert '<svg role="img"' in body
    assert dataset["overdue"].reference in body
    assert 'data-live-events="case.created' in body


def test_the_board_fragment_for_live_refresh(client, town, dataset, supervisor):
    client.force_login(supervisor)

    response = client.get(URL, headers={"hx-request": "true", "hx-target": "wallboard-board"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="queues-title"' in body


@pytest.mark.parametrize("reader", ["civil_agent", "roads_agent"])
def test_agents_may_not_see_the_wallboard(client, request, town, reader):
    client.force_login(request.getfixturevalue(reader))

    response = client.get(URL)

    assert response.status_code == 403
    assert "for supervisors and administrators" in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/desk/connexion/")


def test_a_supervisor_never_sees_another_organization(
    client, town, other_town, supervisor, dataset
):
    foreign = CaseFactory(
        citizen=CitizenFactory(organization=other_town),
        department=other_town.departments.get(),
        due_at=timezone.now() - timedelta(days=1),
    )
    client.force_login(supervisor)

    body = client.get(URL).content.decode()
    assert foreign.reference not in body
    assert other_town.name not in body
    assert client.get(URL, {"organisation": other_town.pk}).status_code == 404


def test_the_query_count_does_not_grow_with_the_data(
    client, town, dataset, departments, supervisor, django_assert_num_queries
):
    client.force_login(supervisor)
    # 15: session and user, memberships, departments, case figures, items in line, today's items,
    # pick-up policies, agents (memberships, presences, loads), breaches, surge, ...
    with django_assert_num_queries(15) as few:
        client.get(URL)
    citizen = CitizenFactory(organization=town)
    for n in range(5):
        case = CaseFactory(
            citizen=citizen,
            department=departments["voirie"],
            due_at=timezone.now() - timedelta(hours=n + 1),
        )
        RoutingItem.objects.create(
            organization=town,
            department=departments["voirie"],
            kind=ItemKind.CASE,
            case=case,
            channel="phone",
        )
        SlaPolicy.objects.create(
            organization=town,
            name=f"Pick-up {n}",
            target=Target.PICKUP,
            channel="phone",
            department=departments["voirie"] if n % 2 else None,
            amount=30 + n,
            unit=DelayUnit.SECONDS,
        )

    with django_assert_num_queries(len(few.captured_queries)):
        client.get(URL)


def move(client, case, **fields):
    prefix = f"move-{case.pk}"
    data = {
        f"{prefix}-seen_department": case.department_id or "",
        f"{prefix}-seen_assignee": case.assignee_id or "",
    }
    data.update({f"{prefix}-{key}": value for key, value in fields.items()})
    return client.post(f"/supervision/demandes/{case.reference}/deplacer/", data, follow=True)


def test_assign_from_the_wallboard(
    client, dataset, supervisor, civil_agent, django_capture_on_commit_callbacks
):
    case = dataset["waiting"][0]
    client.force_login(supervisor)

    response = move(client, case, action="assign", assignee=civil_agent.pk)

    case.refresh_from_db()
    assert case.assignee == civil_agent
    assert f"{case.reference} assigned." in response.content.decode()


def test_transfer_from_the_wallboard(client, dataset, supervisor, departments):
    case = dataset["waiting"][0]
    client.force_login(supervisor)

    response = move(
        client, case, action="transfer", department=departments["voirie"].pk, reason="chaussée"
    )

    case.refresh_from_db()
    assert case.department == departments["voirie"]
    assert f"{case.reference} transferred." in response.content.decode()


def test_a_transfer_without_reason_is_refused(client, dataset, supervisor, departments):
    case = dataset["waiting"][0]
    client.force_login(supervisor)

    response = move(
        client, case, action="transfer", department=departments["voirie"].pk, reason=" "
    )

    case.refresh_from_db()
    assert case.department == departments["etat-civil"]
    assert "Say why the request is transferred." in response.content.decode()


def test_a_move_on_a_stale_view_is_refused(client, dataset, supervisor, civil_agent, roads_agent):
    """Two supervisors move the same item: the second one saw it unassigned."""
    case = dataset["waiting"][0]
    seen = Case.objects.get(pk=case.pk)
    client.force_login(supervisor)
    move(client, case, action="assign", assignee=civil_agent.pk)

    response = move(
        client,
        seen,
        action="transfer",
        department=seen.organization.departments.get(slug="voirie").pk,
        reason="x",
    )

    case.refresh_from_db()
    assert (case.department.slug, case.assignee) == ("etat-civil", civil_agent)
    assert "Someone else moved this request meanwhile" in response.content.decode()


def test_an_agent_cannot_move_cases(client, dataset, civil_agent):
    case = dataset["waiting"][0]
    client.force_login(civil_agent)

    response = move(client, case, action="assign", assignee=civil_agent.pk)

    case.refresh_from_db()
    assert response.status_code == 403
    assert case.assignee is None


def test_a_supervisor_cannot_move_another_organizations_case(
    client, other_town, supervisor, dataset
):
    foreign = CaseFactory(
        citizen=CitizenFactory(organization=other_town), department=other_town.departments.get()
    )
    client.force_login(supervisor)

    response = move(client, foreign, action="assign", assignee=supervisor.pk)

    foreign.refresh_from_db()
    assert response.status_code == 404
    assert foreign.assignee is None
