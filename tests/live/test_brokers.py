"""The brokers: database (the default, shared by worker and web processes), Redis, memory."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.live import brokers
from guichet.live.brokers import DatabaseBroker, MemoryBroker, RedisBroker, _DatabaseCursor
from guichet.live.events import Audience, CaseCreated, PresenceChanged
from guichet.live.models import LoggedEvent


def event(n: int) -> CaseCreated:
    return CaseCreated(organization_id=1, case_id=n, department_id=5, assignee_id=9)


def test_database_broker_round_trip(db):
    broker = DatabaseBroker()
    cursor = broker.cursor(None)

    broker.publish([event(1), PresenceChanged(1, agent_id=9)])

    envelopes = cursor.fetch()
    assert [(e.kind, e.data, e.audience) for e in envelopes] == [
        ("case.created", {"case_id": 1}, Audience(1, (5,), (9,))),
        ("presence.changed", {"agent_id": 9}, Audience(1, (), (9,))),
    ]
    assert cursor.position == envelopes[-1].id
    assert cursor.fetch() == []
    # A reconnecting browser resumes after the first one.
    assert [e.data for e in broker.cursor(envelopes[0].id).fetch()] == [{"agent_id": 9}]


def test_database_cursor_delivers_an_event_committed_late_into_a_gap(db):
    """PostgreSQL numbers rows before commit: id 2 may become visible after id 3 was read."""
    broker = DatabaseBroker()
    broker.publish([event(1)])
    first = LoggedEvent.objects.get().pk
    now = [100.0]
    cursor = _DatabaseCursor(first, clock=lambda: now[0])
    late = LoggedEvent.objects.create(kind="case.created", organization_id=1, data={"case_id": 2})
    on_time = LoggedEvent.objects.create(
        kind="case.created", organization_id=1, data={"case_id": 3}
    )
    late_row = {f: getattr(late, f) for f in ("pk", "kind", "organization_id", "data")}
    late.delete()  # as if it had not committed yet

    assert [e.data for e in cursor.fetch()] == [{"case_id": 3}]
    LoggedEvent.objects.create(**late_row)
    now[0] += 1
    assert [e.data for e in cursor.fetch()] == [{"case_id": 2}]
    assert cursor.position == str(on_time.pk)
    # A gap that never fills is forgotten after a while.
    LoggedEvent.objects.filter(pk=late_row["pk"]).delete()
    now[0] += brokers.GAP_WAIT_S + 1
    assert cursor.fetch() == []


def test_database_broker_prunes_old_events(db, settings):
    settings.GUICHET_LIVE_RETENTION_MINUTES = 60
    broker = DatabaseBroker()
    broker.publish([event(1), event(2)])
    LoggedEvent.objects.filter(data={"case_id": 1}).update(
        created_at=timezone.now() - timedelta(minutes=61)
    )

    assert broker.prune() == 1
    assert list(LoggedEvent.objects.values_list("data", flat=True)) == [{"case_id": 2}]


def test_memory_broker_keeps_the_latest_events_only():
    broker = MemoryBroker(size=2)
    broker.publish([event(1), event(2), event(3)])

    assert [e.data["case_id"] for e in broker.cursor("0").fetch()] == [2, 3]


@pytest.mark.parametrize(
    ("kind", "url", "expected"),
    [("memory", "", MemoryBroker), ("database", "", DatabaseBroker)],
)
def test_broker_choice(settings, kind, url, expected):
    settings.GUICHET_LIVE_BROKER = kind
    settings.GUICHET_REDIS_URL = url
    brokers._broker.cache_clear()
    try:
        assert isinstance(brokers.get_broker(), expected)
    finally:
        brokers._broker.cache_clear()


@pytest.mark.parametrize(("kind", "url"), [("redis", ""), ("carrier-pigeon", "")])
def test_broker_misconfiguration_is_a_clear_error(settings, kind, url):
    settings.GUICHET_LIVE_BROKER = kind
    settings.GUICHET_REDIS_URL = url
    brokers._broker.cache_clear()
    try:
        with pytest.raises(ValueError, match="GUICHET_"):
            brokers.get_broker()
    finally:
        brokers._broker.cache_clear()


@pytest.fixture
def redis_broker(monkeypatch):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    monkeypatch.setattr(brokers, "STREAM_KEY", f"guichet:test:{uuid.uuid4().hex}")
    broker = RedisBroker(url)
    yield broker
    redis.Redis.from_url(url).delete(brokers.STREAM_KEY)


def test_redis_broker_round_trip_and_resume(redis_broker):
    cursor = redis_broker.cursor(None)
    redis_broker.publish([event(1), event(2)])

    envelopes = cursor.fetch()

    assert [(e.kind, e.data, e.audience) for e in envelopes] == [
        ("case.created", {"case_id": 1}, Audience(1, (5,), (9,))),
        ("case.created", {"case_id": 2}, Audience(1, (5,), (9,))),
    ]
    assert cursor.fetch() == []
    assert [e.data for e in redis_broker.cursor(envelopes[0].id).fetch()] == [{"case_id": 2}]
    # An unknown or malformed id starts after the latest event.
    assert redis_broker.cursor("not-an-id").fetch() == []
    assert redis_broker.cursor("99999999999999-0").fetch() == []
