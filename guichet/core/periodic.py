"""Periodic jobs, declared in one place. `guichet scheduler` enqueues each one when it is due; the
task workers run them. Every job is idempotent, so two schedulers do no harm."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    task_path: str

    def enqueue(self) -> None:
        import_string(self.task_path).enqueue()


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("retry failed inbound messages", 60, "guichet.intake.tasks.retry_due_inbound_task"),
    PeriodicJob("poll IMAP mailboxes", 60, "guichet.channels.tasks.poll_mailboxes_task"),
    PeriodicJob("retry deliveries", 60, "guichet.conversations.tasks.retry_deliveries_task"),
    PeriodicJob(
        "purge mail for no organization", 3600, "guichet.channels.tasks.purge_unrouted_mail_task"
    ),
)
