"""Background tasks of the SLA context."""

from __future__ import annotations

from django_tasks import task

from guichet.sla.actions import escalate_cases


@task()
def escalate_cases_task() -> dict[str, int]:
    """Flag the cases that are due soon or late (periodic; idempotent)."""
    report = escalate_cases()
    return {"checked": report.checked, "due_soon": report.due_soon, "breached": report.breached}
