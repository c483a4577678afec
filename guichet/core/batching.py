"""Side effects of many records queued as one task (a batch of the inbound pipeline).

- `HeldIds`: ids whose commit callbacks ran inside `together()` are held, then handed to one
  task when the block ends, instead of one task per id (one task row instead of a hundred with
  the database task backend). Outside the block, the caller queues its own task as before.
- `each_id`: the body of such a task: the work done for every id, a failure logged and raised
  once all were tried, so that one bad record does not keep the others from theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)


class HeldIds:
    """See the module docstring. `queue(ids)` is called once per block with the held ids, each
    once, in the order they were held."""

    def __init__(self, name: str, queue: Callable[[list[int]], object]) -> None:
        self._held: ContextVar[list[int] | None] = ContextVar(name, default=None)
        self._queue = queue

    def hold(self, pk: int) -> bool:
        """Keep `pk` for the block's task; False outside a block (queue it yourself)."""
        held = self._held.get()
        if held is None:
            return False
        held.append(pk)
        return True

    @contextmanager
    def together(self) -> Iterator[None]:
        """Wrap it around the transaction. The held ids are queued even if the block ends with
        an error (their transaction committed); a block opened inside another one joins it; a
        callback registered in a savepoint rolled back never runs, so never holds its id."""
        if self._held.get() is not None:
            yield
            return
        held: list[int] = []
        token = self._held.set(held)
        try:
            yield
        finally:
            self._held.reset(token)
            if held:
                try:
                    self._queue(list(dict.fromkeys(held)))
                except Exception:
                    # Their transaction committed: failing the caller now would have it redo
                    # committed work. Routing's periodic sweep enqueues the cases left; a
                    # repeat-contact check left is lost (logged here).
                    logger.exception("%d ids of %s not queued", len(held), self._held.name)


def each_id(
    ids: list[int], work: Callable[[int], T], failed_value: T, *, logger: logging.Logger, what: str
) -> list[T]:
    """`work(id)` for every id, in order; an id whose work raises gets `failed_value`, the error
    is logged ("`what` of <id> failed") and the first one raised once all were tried (the task
    is then marked failed, and the others were done)."""
    results: list[T] = []
    first: Exception | None = None
    for pk in ids:
        try:
            results.append(work(pk))
        except Exception as exc:
            logger.exception("%s of %s failed", what, pk)
            results.append(failed_value)
            first = first or exc
    if first is not None:
        raise first
    return results
