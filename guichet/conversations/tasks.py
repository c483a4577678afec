"""Background tasks of the conversations context."""

from __future__ import annotations

from django_tasks import task

from guichet.conversations.delivery import deliver


@task(queue_name="email")
def deliver_message_task(message_id: int) -> str:
    receipt = deliver(message_id)
    return receipt.status if receipt else "skipped"
