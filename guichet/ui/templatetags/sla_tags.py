"""The desk's SLA badge: "due soon" once GUICHET_SLA_NEAR_RATIO of the delay has passed, computed
by the same function as the escalation job (guichet.sla.escalation), without a query."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import timezone

from guichet.cases.lifecycle import Status
from guichet.cases.models import Case
from guichet.sla.escalation import NEAR, level_at

register = template.Library()


@register.filter
def sla_due_soon(case: Case) -> bool:
    if case.status not in (Status.NEW, Status.OPEN) or case.due_at is None:
        return False
    level = level_at(case.created_at, case.due_at, timezone.now(), settings.GUICHET_SLA_NEAR_RATIO)
    return level == NEAR
