"""The SSE stream: its format, resume after Last-Event-ID, heartbeats, and scope filtering (an
agent of another organization or department receives nothing about a case they cannot see)."""

from __future__ import annotations

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from guichet.core.scopes import access_scope
from guichet.live.events import CaseCreated, CaseTransferred, ItemOffered, PresenceChanged
from guichet.live.stream import StreamTiming, event_stream

ONE_POLL = StreamTiming(poll_s=0, heartbeat_s=3600, duration_s=0)


def collect(scope, cursor, timing=ONE_POLL, clock=None):
    async def run():
        options = {"clock": clock} if clock else {}
        return [chunk async for chunk in event_stream(scope, cursor, timing, **options)]

    return async_to_sync(run)()


def read_all(content):
    async def run():
        return [chunk async for chunk in content]

    return async_to_sync(run)()


def received_kinds(chunks):
    return [
        line[len("event: ") :]
        for chunk in chunks
        for line in chunk.splitlines()
        if line.startswith("event: ")
    ]


@pytest.fixture
def civil_event(town, departments):
    return CaseCreated(
        town.pk, case_id=7, department_id=departments["etat-civil"].pk, assignee_id=None
    )


def test_stream_format(memory_broker, civil_agent, civil_event):
    cursor = memory_broker.cursor(None)
    memory_broker.publish([civil_event])

    chunks = collect(access_scope(civil_agent), cursor)

    assert chunks == [
        "retry: 3000\nid: 0\n: connected\n\n",
        'id: 1\nevent: case.created\ndata: {"case_id":7}\n\n',
    ]


@pytest.mark.parametrize(
    ("reader", "receives"),
    [
        ("civil_agent", True),
        ("supervisor", True),
        ("administrator", True),
        ("roads_agent", False),  # another department
        ("other_agent", False),  # another organization
    ],
)
def test_scope_filtering(request, memory_broker, civil_event, reader, receives):
    user = request.getfixturevalue(reader)
    cursor = memory_broker.cursor(None)
    memory_broker.publish([civil_event])

    kinds = received_kinds(collect(access_scope(user), cursor))

    assert kinds == (["case.created"] if receives else [])


def test_an_assignee_outside_the_department_receives_events_of_their_case(
    town, departments, memory_broker, roads_agent
):
    event = CaseCreated(town.pk, 7, departments["etat-civil"].pk, assignee_id=roads_agent.pk)
    cursor = memory_broker.cursor(None)
    memory_broker.publish([event])

    assert received_kinds(collect(access_scope(roads_agent), cursor)) == ["case.created"]


def test_a_transfer_reaches_both_departments_but_no_other_organization(
    town, departments, memory_broker, civil_agent, roads_agent, other_agent
):
    event = CaseTransferred(
        town.pk, 7, departments["voirie"].pk, None, departments["etat-civil"].pk, None
    )
    memory_broker.publish([event])

    for user, expected in ((civil_agent, 1), (roads_agent, 1), (other_agent, 0)):
        assert (
            len(received_kinds(collect(access_scope(user), memory_broker.cursor("0")))) == expected
        )


def test_offers_and_presence_reach_the_agent_and_supervisors_only(
    town, memory_broker, civil_agent, roads_agent, supervisor, other_agent
):
    memory_broker.publish(
        [
            ItemOffered(town.pk, agent_id=civil_agent.pk, case_id=3),
            PresenceChanged(town.pk, civil_agent.pk),
        ]
    )

    def kinds(user):
        return received_kinds(collect(access_scope(user), memory_broker.cursor("0")))

    assert kinds(civil_agent) == ["item.offered", "presence.changed"]
    assert kinds(supervisor) == ["item.offered", "presence.changed"]
    assert kinds(roads_agent) == []
    assert kinds(other_agent) == []


def test_resume_after_last_event_id(town, departments, memory_broker, civil_agent):
    department = departments["etat-civil"].pk
    memory_broker.publish([CaseCreated(town.pk, n, department, None) for n in (1, 2, 3)])

    chunks = collect(access_scope(civil_agent), memory_broker.cursor("1"))

    assert [c.split("\n")[0] for c in chunks[1:]] == ["id: 2", "id: 3"]


@pytest.mark.parametrize("last_event_id", [None, "", "abc", "-5", "999999"])
def test_without_a_usable_last_event_id_the_stream_starts_after_the_latest(
    civil_event, memory_broker, civil_agent, last_event_id
):
    memory_broker.publish([civil_event])

    cursor = memory_broker.cursor(last_event_id)

    assert cursor.position == "1"
    assert received_kinds(collect(access_scope(civil_agent), cursor)) == []


def test_heartbeat_carries_the_position_past_filtered_events(
    town, departments, memory_broker, civil_agent
):
    roads = departments["voirie"].pk
    cursor = memory_broker.cursor(None)
    memory_broker.publish([CaseCreated(town.pk, 1, roads, None)])
    ticks = iter([0.0, 0.0, 20.0, 20.0])

    chunks = collect(
        access_scope(civil_agent),
        cursor,
        StreamTiming(poll_s=0, heartbeat_s=15, duration_s=10),
        clock=lambda: next(ticks),
    )

    # Nothing visible was sent, but the browser's last id moves on (an id without data).
    assert chunks == ["retry: 3000\nid: 0\n: connected\n\n", "id: 1\n: keep-alive\n\n"]


def test_the_endpoint_refuses_anonymous_and_memberless_users(db, django_user_model):
    client = Client()
    assert client.get("/live/evenements/").status_code == 403
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get("/live/evenements/").status_code == 403


def test_the_endpoint_streams_what_the_user_may_see(
    client, settings, civil_agent, town, departments, memory_broker
):
    settings.GUICHET_LIVE_STREAM_SECONDS = 0
    settings.GUICHET_LIVE_POLL_SECONDS = 0
    memory_broker.publish(
        [
            CaseCreated(town.pk, 1, departments["etat-civil"].pk, None),
            CaseCreated(town.pk, 2, departments["voirie"].pk, None),
            CaseCreated(town.pk, 3, departments["etat-civil"].pk, None),
        ]
    )
    client.force_login(civil_agent)

    response = client.get("/live/evenements/", headers={"last-event-id": "0"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    body = b"".join(read_all(response.streaming_content)).decode()
    assert body == (
        "retry: 3000\nid: 0\n: connected\n\n"
        'id: 1\nevent: case.created\ndata: {"case_id":1}\n\n'
        'id: 3\nevent: case.created\ndata: {"case_id":3}\n\n'
    )


def test_the_endpoint_only_answers_get(client, civil_agent):
    client.force_login(civil_agent)
    assert client.post("/live/evenements/").status_code == 405


def test_the_browser_script_listens_to_every_kind():
    from django.contrib.staticfiles import finders

    from guichet.live.events import KINDS

    script = Path(finders.find("live/live.js")).read_text(encoding="utf-8")

    assert [kind for kind in KINDS if f'"{kind}"' not in script] == []
