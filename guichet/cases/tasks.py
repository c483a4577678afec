"""Background tasks of cases. Each takes ids and is idempotent."""

from __future__ import annotations

import logging

from django_tasks import task

from guichet.cases.repeats import check_repeat_contact

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
    flagged: list[bool] = []
    failed: Exception | None = None
    for case_id in case_ids:
        try:
            flagged.append(check_repeat_contact(case_id) is not None)
        except Exception as exc:
            logger.exception("repeat contacts of case %s not checked", case_id)
            flagged.append(False)
            failed = failed or exc
    if failed is not None:
        raise failed
    return flagged
