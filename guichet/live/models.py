"""The event log the database broker writes: how events cross from worker processes to the web
process without any extra service (docs/adr/0008-live-events.md). Rows are short-lived."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LoggedEvent(models.Model):
    """One published event: kind, audience and ids. Never content, never personal data."""

    kind = models.CharField(max_length=40)
    organization_id = models.BigIntegerField()
    department_ids = models.JSONField(default=list)
    user_ids = models.JSONField(default=list)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "live event"
        verbose_name_plural = "live events"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind}"
