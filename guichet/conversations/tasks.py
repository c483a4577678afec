"""Background tasks of the conversations context."""

from __future__ import annotations

import logging

from django_tasks import task

from guichet.conversations.delivery import deliver, due_deliveries
from guichet.core.batching import each_id

logger = logging.getLogger(__name__)


@task(queue_name="email")
def deliver_message_task(message_id: int) -> str:
    receipt = deliver(message_id)
    return receipt.status if receipt else "skipped"


@task(queue_name="email")
def deliver_messages_task(message_ids: list[int]) -> list[str]:
    """`deliver_message_task` for the messages of one batch of the inbound pipeline (its
    acknowledgements), one after the other. A message whose delivery raises does not keep the
    others from theirs: the error is logged and raised once all were tried (the message stays
    queued: `retry_deliveries_task` tries it again)."""
    return each_id(
        message_ids, deliver_message_task.call, "error", logger=logger, what="the delivery"
    )


@task()
def retry_deliveries_task() -> int:
    """Deliver again the messages a passing failure kept queued."""
    due = due_deliveries()
    for message_id in due:
        deliver(message_id)
    return len(due)
