"""Where published events go and where the streams read them: one small interface, three brokers.

- `DatabaseBroker` (the default): a table of recent events. Worker processes (the inbound pipeline,
  routing) and web processes share the database already, so events cross processes with nothing
  else to install, on SQLite as on PostgreSQL. Streams poll it once a second.
- `RedisBroker` (`GUICHET_REDIS_URL`): a capped Redis stream, for many web processes at scale.
- `MemoryBroker`: one process only (tests, an embedded single-process use).

Every broker numbers events in order; a stream resumes after the last id the browser received
(`Last-Event-ID`). docs/adr/0008-live-events.md explains the choice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from guichet.live.events import Audience, Envelope, LiveEvent

logger = logging.getLogger(__name__)

# How many events one poll hands to a stream at most.
READ_LIMIT = 500


class Cursor(Protocol):
    """One stream's position in a broker."""

    @property
    def position(self) -> str: ...

    def fetch(self) -> list[Envelope]:
        """The events published after the position (oldest first); moves the position."""
        ...


class Broker(Protocol):
    def publish(self, events: Sequence[LiveEvent]) -> None: ...

    def cursor(self, last_event_id: str | None) -> Cursor:
        """A cursor after `last_event_id`, or after the latest event when it is None or unknown."""
        ...


def _encode(event: LiveEvent) -> dict[str, Any]:
    audience = event.audience
    return {
        "kind": event.kind,
        "organization_id": audience.organization_id,
        "department_ids": list(audience.department_ids),
        "user_ids": list(audience.user_ids),
        "data": event.data,
    }


def _envelope(event_id: str, fields: dict[str, Any]) -> Envelope:
    return Envelope(
        id=event_id,
        kind=str(fields["kind"]),
        audience=Audience(
            int(fields["organization_id"]),
            tuple(int(i) for i in fields["department_ids"]),
            tuple(int(i) for i in fields["user_ids"]),
        ),
        data=dict(fields["data"]),
    )


def _parse_int(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 18:
        return None
    return int(value.strip())


# --- memory -------------------------------------------------------------------------------------


class MemoryBroker:
    """Events kept in this process (the last `size`); thread-safe."""

    def __init__(self, size: int = 2000) -> None:
        self._events: deque[Envelope] = deque(maxlen=size)
        self._last = 0
        self._lock = threading.Lock()

    def publish(self, events: Sequence[LiveEvent]) -> None:
        with self._lock:
            for event in events:
                self._last += 1
                self._events.append(_envelope(str(self._last), _encode(event)))

    def cursor(self, last_event_id: str | None) -> _MemoryCursor:
        with self._lock:
            last = self._last
        wanted = _parse_int(last_event_id)
        return _MemoryCursor(self, wanted if wanted is not None and wanted <= last else last)

    def after(self, position: int) -> list[Envelope]:
        with self._lock:
            return [e for e in self._events if int(e.id) > position][:READ_LIMIT]


class _MemoryCursor:
    def __init__(self, broker: MemoryBroker, position: int) -> None:
        self._broker = broker
        self._position = position

    @property
    def position(self) -> str:
        return str(self._position)

    def fetch(self) -> list[Envelope]:
        envelopes = self._broker.after(self._position)
        if envelopes:
            self._position = int(envelopes[-1].id)
        return envelopes


# --- database -----------------------------------------------------------------------------------

# PostgreSQL hands out ids before commit: two events committed out of order can leave a gap that
# fills a moment later. A cursor looks for the missing ids again during this many seconds.
GAP_WAIT_S = 10.0
# Pruning runs on every this-many-th event published.
PRUNE_EVERY = 200


class DatabaseBroker:
    """Events in the `LoggedEvent` table, kept `GUICHET_LIVE_RETENTION_MINUTES`."""

    def publish(self, events: Sequence[LiveEvent]) -> None:
        from guichet.live.models import LoggedEvent

        rows = LoggedEvent.objects.bulk_create([LoggedEvent(**_encode(event)) for event in events])
        if any(row.pk is not None and row.pk % PRUNE_EVERY == 0 for row in rows):
            self.prune()

    def prune(self) -> int:
        from guichet.live.models import LoggedEvent

        horizon = timezone.now() - timedelta(minutes=settings.GUICHET_LIVE_RETENTION_MINUTES)
        deleted, _ = LoggedEvent.objects.filter(created_at__lt=horizon).delete()
        return deleted

    def cursor(self, last_event_id: str | None) -> _DatabaseCursor:
        from guichet.live.models import LoggedEvent

        last = LoggedEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        wanted = _parse_int(last_event_id)
        return _DatabaseCursor(wanted if wanted is not None and wanted <= last else last)


class _DatabaseCursor:
    def __init__(self, position: int, clock: Any = time.monotonic) -> None:
        self._position = position
        self._gaps: dict[int, float] = {}
        self._clock = clock

    @property
    def position(self) -> str:
        return str(self._position)

    def fetch(self) -> list[Envelope]:
        from guichet.live.models import LoggedEvent

        now = self._clock()
        self._gaps = {pk: until for pk, until in self._gaps.items() if until > now}
        condition = Q(pk__gt=self._position)
        if self._gaps:
            condition |= Q(pk__in=list(self._gaps))
        rows = list(
            LoggedEvent.objects.filter(condition)
            .order_by("pk")
            .values_list("pk", "kind", "organization_id", "department_ids", "user_ids", "data")[
                :READ_LIMIT
            ]
        )
        envelopes = []
        for pk, kind, organization_id, department_ids, user_ids, data in rows:
            if pk > self._position:
                self._gaps.update(
                    dict.fromkeys(range(self._position + 1, pk), now + GAP_WAIT_S)
                    if pk - self._position <= READ_LIMIT
                    else {}
                )
                self._position = pk
            self._gaps.pop(pk, None)
            envelopes.append(
                _envelope(
                    str(pk),
                    {
                        "kind": kind,
                        "organization_id": organization_id,
                        "department_ids": department_ids,
                        "user_ids": user_ids,
                        "data": data,
                    },
                )
            )
        return envelopes


# --- redis --------------------------------------------------------------------------------------

STREAM_KEY = "guichet:live"
# Events kept in the Redis stream (approximately: Redis trims by whole nodes).
STREAM_LENGTH = 10_000


class RedisBroker:
    """Events in a capped Redis stream: ordered ids, resumable, shared by every process."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, decode_responses=True)

    def publish(self, events: Sequence[LiveEvent]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for event in events:
            pipe.xadd(
                STREAM_KEY,
                {"e": json.dumps(_encode(event))},
                maxlen=STREAM_LENGTH,
                approximate=True,
            )
        pipe.execute()

    def cursor(self, last_event_id: str | None) -> _RedisCursor:
        latest = self._client.xrevrange(STREAM_KEY, count=1)
        last = str(latest[0][0]) if latest else "0-0"
        wanted = (last_event_id or "").strip()
        valid = _is_stream_id(wanted) and _stream_key(wanted) <= _stream_key(last)
        return _RedisCursor(self._client, wanted if valid else last)


def _is_stream_id(value: str) -> bool:
    parts = value.split("-")
    return len(parts) == 2 and all(p.isdigit() and len(p) <= 20 for p in parts)


def _stream_key(value: str) -> tuple[int, int]:
    milliseconds, sequence = value.split("-")
    return int(milliseconds), int(sequence)


class _RedisCursor:
    def __init__(self, client: Any, position: str) -> None:
        self._client = client
        self._position = position

    @property
    def position(self) -> str:
        return self._position

    def fetch(self) -> list[Envelope]:
        answer = self._client.xread({STREAM_KEY: self._position}, count=READ_LIMIT)
        envelopes = []
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                self._position = entry_id
                envelopes.append(_envelope(entry_id, json.loads(fields["e"])))
        return envelopes


# --- choice -------------------------------------------------------------------------------------


def get_broker() -> Broker:
    """The broker the settings choose (one instance per process and configuration)."""
    return _broker(settings.GUICHET_LIVE_BROKER, settings.GUICHET_REDIS_URL)


@lru_cache(maxsize=4)
def _broker(kind: str, redis_url: str) -> Broker:
    if kind == "memory":
        return MemoryBroker()
    if kind == "redis":
        if not redis_url:
            raise ValueError("GUICHET_LIVE_BROKER=redis needs GUICHET_REDIS_URL")
        return RedisBroker(redis_url)
    if kind == "database":
        return DatabaseBroker()
    raise ValueError(f"unknown GUICHET_LIVE_BROKER: {kind!r} (database, redis or memory)")
