"""The inbound pipeline's hooks into routing: a new case gets its routing item once committed,
one task per case, or one per batch inside `enqueuing_cases_together()` (docs/pipeline.md)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from django.db import transaction

from guichet.cases.models import Case
from guichet.core.batching import HeldIds


def _queue_new_cases(case_ids: list[int]) -> None:
    from guichet.routing.tasks import enqueue_cases_task

    enqueue_cases_task.enqueue(case_ids)


# The new cases committed inside `enqueuing_cases_together()`, waiting for its end.
_NEW_CASES = HeldIds("routing_cases_held", _queue_new_cases)


def enqueue_case_on_commit(case: Case) -> None:
    """The inbound pipeline's hook: once the new case is committed, it gets its routing item
    (`enqueue_case_task`; inside `enqueuing_cases_together()`, with the others of the block).
    A case whose savepoint or transaction is rolled back is never enqueued: Django drops the
    callbacks registered inside it."""

    def enqueue() -> None:
        if case.pk is None:
            return
        if _NEW_CASES.hold(case.pk):
            return
        from guichet.routing.tasks import enqueue_case_task

        enqueue_case_task.enqueue(case.pk)

    transaction.on_commit(enqueue)


def enqueuing_cases_together() -> AbstractContextManager[None]:
    """Within: the new cases whose transaction commits are held, then queued in one
    `enqueue_cases_task` when the block ends (`HeldIds.together`) — one task row instead of one
    per case. Wrap it around the transaction (a batch of the inbound pipeline). Callbacks run
    after the block (a transaction still open when it ends) queue their case alone, as outside."""
    return _NEW_CASES.together()
