"""Background tasks of cases. Each takes ids and is idempotent."""

from __future__ import annotations

from django_tasks import task

from guichet.cases.repeats import check_repeat_contact


@task()
def check_repeat_contact_task(case_id: int) -> bool:
    """Flag a request whose citizen keeps writing about it ("3rd contact in 10 days")."""
    return check_repeat_contact(case_id) is not None
