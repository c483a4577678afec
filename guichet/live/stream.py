"""The server-sent events stream: format, scope filtering, heartbeats, bounded duration.

One stream per browser tab reads the broker from the browser's last event id, keeps the events
whose audience admits the user's access scope, and writes them as SSE. Comments keep proxies from
closing an idle connection; the stream ends after a few minutes and the browser reconnects with
`Last-Event-ID`, so that a change of the user's memberships applies within that time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from guichet.core.scopes import AccessScope
from guichet.live.brokers import Cursor
from guichet.live.events import Envelope

# How long the browser waits before reconnecting after the stream ends (milliseconds).
RETRY_MS = 3000


@dataclass(frozen=True)
class StreamTiming:
    poll_s: float
    heartbeat_s: float
    duration_s: float


def format_event(envelope: Envelope) -> str:
    """One SSE message: `id`, `event` (the kind) and the ids as JSON `data`."""
    payload = json.dumps(envelope.data, separators=(",", ":"), sort_keys=True)
    return f"id: {envelope.id}\nevent: {envelope.kind}\ndata: {payload}\n\n"


def format_position(position: str) -> str:
    """A heartbeat that also moves the browser's last event id past events it was not sent
    (an `id` field without `data` dispatches nothing)."""
    return f"id: {position}\n: keep-alive\n\n"


async def event_stream(
    scope: AccessScope,
    cursor: Cursor,
    timing: StreamTiming,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """The SSE text for one connection; polls once, then every `poll_s`, until `duration_s`."""
    fetch = sync_to_async(cursor.fetch)
    # The position goes first: a browser that reconnects before any event resumes from here.
    sent_position = cursor.position
    yield f"retry: {RETRY_MS}\nid: {sent_position}\n: connected\n\n"
    started = last_written = clock()
    while True:
        envelopes = await fetch()
        for envelope in envelopes:
            if envelope.audience.admits(scope):
                yield format_event(envelope)
                sent_position = envelope.id
                last_written = clock()
        now = clock()
        ending = now - started >= timing.duration_s
        if now - last_written >= timing.heartbeat_s or (
            ending and sent_position != cursor.position
        ):
            sent_position = cursor.position
            yield format_position(sent_position)
            last_written = now
        if ending:
            return
        await asyncio.sleep(timing.poll_s)
