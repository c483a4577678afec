"""Background tasks of the conversations context."""

from __future__ import annotations

from django_tasks import task

from guichet.conversations.delivery import deliver, due_deliveries


@task(queue_name="email")
def deliver_message_task(message_id: int) -> str:
    receipt = deliver(message_id)
    return receipt.status if receipt else "skipped"


@task()
def retry_deliveries_task() -> int:
    """Deliver again the messages a passing failure kept queued."""
    due = due_deliveries()
    for message_id in due:
        deliver(message_id)
    return len(due)
