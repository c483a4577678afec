"""Publishing from actions: an event leaves only once the transaction that caused it commits.

Actions call `publish_case_event(kind, case)` (or `publish_on_commit` for other events) inside
their transaction; a rollback drops the event with everything else (the events of one savepoint
travel together, in one write to the broker). The event is built at commit
time, from the case as it then stands (the pipeline routes a case after opening it), and a
broker that fails is logged, never raised: the action has already succeeded.

Events registered in different savepoints leave in different writes (a savepoint rolled back must
drop its own). A unit of work made of many savepoints (a batch of the inbound pipeline: one per
message) runs inside `publishing_together()`: the events committed inside it are published in one
write when it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import transaction

from guichet.live.brokers import get_broker
from guichet.live.events import LiveEvent, case_event

if TYPE_CHECKING:
    from guichet.cases.models import Case

logger = logging.getLogger(__name__)

# The events committed inside `publishing_together()`, waiting for its end.
_HELD: ContextVar[list[LiveEvent] | None] = ContextVar("live_events_held", default=None)


@contextmanager
def publishing_together() -> Iterator[None]:
    """Within: events whose transaction commits are held, then published in one write to the
    broker when the block ends (even if it ends with an error: they are committed). Wrap it
    around the transaction; a block opened inside another one joins it."""
    if _HELD.get() is not None:
        yield
        return
    held: list[LiveEvent] = []
    token = _HELD.set(held)
    try:
        yield
    finally:
        _HELD.reset(token)
        _publish(held)


def _publish(events: list[LiveEvent]) -> None:
    if not events:
        return
    try:
        get_broker().publish(events)
    except Exception:  # a real-time hint is never worth failing a committed action
        logger.exception("live event not published")


def publish_on_commit(build: Callable[[], LiveEvent | None]) -> None:
    """Publish the event `build()` returns once the current transaction commits (at once outside
    a transaction). The events of one transaction leave together, in one write to the broker."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _Flush([build])()
        return
    # Events join the batch of the same savepoint, so that a savepoint rolled back drops its
    # batch with Django's other callbacks.
    savepoints = set(connection.savepoint_ids)
    for registered_in, callback, _robust in reversed(connection.run_on_commit):
        if isinstance(callback, _Flush) and registered_in == savepoints:
            callback.builders.append(build)
            return
    transaction.on_commit(_Flush([build]))


class _Flush:
    """The events of one transaction, built and published at commit."""

    def __init__(self, builders: list[Callable[[], LiveEvent | None]]) -> None:
        self.builders = builders

    def __call__(self) -> None:
        try:
            events = [event for build in self.builders if (event := build()) is not None]
        except Exception:  # a real-time hint is never worth failing a committed action
            logger.exception("live event not published")
            return
        held = _HELD.get()
        if held is not None:
            held += events
        else:
            _publish(events)


def publish_case_event(
    kind: str,
    case: Case,
    *,
    previous_department_id: int | None = None,
    previous_assignee_id: int | None = None,
    message: object | None = None,
) -> None:
    """Publish `kind` (`guichet.live.events`) about `case` on commit."""

    def build() -> LiveEvent | None:
        if case.pk is None:
            return None
        return case_event(
            kind,
            case,
            previous_department_id=previous_department_id,
            previous_assignee_id=previous_assignee_id,
            message_id=getattr(message, "pk", None),
        )

    publish_on_commit(build)
