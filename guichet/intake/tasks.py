"""Background tasks of the intake context."""

from __future__ import annotations

from django_tasks import task

from guichet.intake.pipeline import retry_due_records


@task()
def retry_due_inbound_task() -> int:
    """Retry failed inbound records whose retry time has come."""
    return retry_due_records()
