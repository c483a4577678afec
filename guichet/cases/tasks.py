"""Background tasks of cases. Each takes ids and is idempotent."""

from __future__ import annotations

import logging

from django_tasks import task

from guichet.cases.repeats import check_repeat_contact
from guichet.core.batching import each_id

logger = logging.getLogger(__name__)


@task()
def check_repeat_contact_task(case_id: int) -> bool:
    """Flag a request whose citizen keeps writing about it ("3rd contact in 10 days")."""
    return check_repeat_contact(case_id) is not None


@task()
def check_repeat_contacts_task(case_ids: list[int]) -> list[bool]:
    """`check_repeat_contact_task` for the requests one batch of the inbound pipeline wrote to,
    one after the other. A case that fails does not keep the others from their check: the error
    is logged and raised once all were tried."""
    return each_id(
        case_ids,
        lambda case_id: check_repeat_contact(case_id) is not None,
        False,
        logger=logger,
        what="the repeat-contact check",
    )
