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
    PeriodicJob("expire routing offers", 10, "guichet.routing.tasks.expire_offers_task"),
    PeriodicJob("time out agent presence", 30, "guichet.routing.tasks.time_out_presence_task"),
    PeriodicJob("assign waiting items", 30, "guichet.routing.tasks.assign_waiting_items_task"),
    PeriodicJob("escalate cases due soon or late", 300, "guichet.sla.tasks.escalate_cases_task"),
    PeriodicJob("start due callbacks", 60, "guichet.callbacks.tasks.start_due_callbacks_task"),
    PeriodicJob(
        "purge mail for no organization", 3600, "guichet.channels.tasks.purge_unrouted_mail_task"
    ),
)
