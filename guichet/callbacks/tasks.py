"""Background tasks of the callbacks context."""

from __future__ import annotations

from django_tasks import task

from guichet.callbacks.actions import start_due_callbacks


@task()
def start_due_callbacks_task() -> int:
    """Turn the callbacks whose time has come into routed items (periodic; idempotent)."""
    return start_due_callbacks()
